"""The two products drawn from one layout tree.

reader_pdf   the whole edition in one document: outline page → articles
             (`01 要闻` → headline), page labels from the page numbers, /Lang
             zh-Hans, title/author/subject/keywords, DisplayDocTitle, jump
             lines linked to the continuation and back; tagged (`tagged`).
print_pdf    one page for the press: TrimBox/BleedBox, CMYK/Gray only, K-only
             overprinting black, and the PDF/X-1a markers (OutputIntent with
             the registered condition, GTS_PDFXVersion, Trapped /False, XMP
             metadata, a deterministic /ID). It is a PDF/X *candidate*: no
             PDF/X validator runs offline.
"""
from __future__ import annotations

import datetime as dt
import functools
import io
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFInfo, PDFName, PDFStream, PDFString

from ..fonts import FontRegistry
from ..tree import EditionTree, PageTree, ad_blocks, jump_blocks
from .pdf import RenderOptions, is_pdf_ad, page_geometry, place_pdf_ads, render

PDFX_VERSION = "PDF/X-1a:2001"
PDFX4_VERSION = "PDF/X-4"
OUTPUT_CONDITION = "IFRA26"   # ISO 12647-3 coldset newsprint, ICC registry name


def _dest(article: str, part: int) -> str:
    return f"a-{article}-{part}"


def reader_pdf(tree: EditionTree, registry: FontRegistry, opts: RenderOptions, content_hash: str,
               ops: dict | None = None, streams: dict | None = None, fonts=None, pictures=None) -> bytes:
    """The reader edition, as bytes (see `write_reader_pdf`)."""
    out = io.BytesIO()
    write_reader_pdf(out, tree, registry, opts, content_hash, ops, streams, fonts, pictures)
    return out.getvalue()


def write_reader_pdf(out: BinaryIO, tree: EditionTree, registry: FontRegistry, opts: RenderOptions,
                     content_hash: str, ops: dict | None = None, streams: dict | None = None,
                     fonts=None, pictures=None) -> None:
    """Write the reader edition to `out`; `ops` (page number -> PageOps) and `streams` (page
    number -> compressed content stream) are reused where given and filled in; `fonts` and
    `pictures` keep embedded fonts and pictures' image data between builds (`render`).

    The file is reportlab's document (its PDF ads placed by pikepdf, if it has any) and
    one incremental update that tags it (`tagged.add_structure`)."""
    opts = replace(opts, mode="reader")
    indices = {page.number: i for i, page in enumerate(tree.pages)}   # not pages.index: quadratic

    def on_page(c, page: PageTree) -> None:
        index = indices[page.number]
        off = page_geometry(page)[0]
        # (the outline is written with the structure tree: `outline.bookmarks`)
        for entry in page.articles:   # where the jump lines' links lead
            dest = _dest(entry.id, entry.part)
            c.bookmarkHorizontalAbsolute(dest, top=off + page.height - entry.box.y + 4, left=off + entry.box.x)
        c.addPageLabel(index, prefix=page.label)
        for block in jump_blocks(page):
            if block.link:
                # 下转 links forward to part 2, 上接 back to part 1
                target = _dest(block.article, 2 if block.lines[0].text.startswith("（下转") else 1)
                b = block.box
                rect = (off + b.x, off + page.height - b.bottom, off + b.right, off + page.height - b.y)
                # its /Contents: the line's words, for a screen reader (PDF/UA-1 §7.18.5)
                c.linkAbsolute("".join(ln.text for ln in block.lines).strip("（）"), target, rect, thickness=0)

    ops = {} if ops is None else ops
    marks = _Marks(ops)

    from .outline import bookmarks
    from .tagged import DrawnEdition, add_structure
    outline = bookmarks(tree)
    with_ads = any(is_pdf_ad(b) for page in tree.pages for b in ad_blocks(page))
    drawn: list[DrawnEdition] = []

    def saved(doc, data: bytes) -> None:
        if not with_ads:
            drawn.append(DrawnEdition.from_reportlab(doc, data))
    data = render(tree, list(tree.pages), registry, opts, content_hash, on_page=_with_catalog(on_page, bool(outline)),
                  ops=ops, streams=streams, fonts=fonts, on_saved=saved, pictures=pictures)
    if with_ads:    # (pikepdf: only an edition with PDF ads imports it)
        drawn.append(DrawnEdition.read(with_pdf_ads(data, tree, opts)))
    out.write(drawn[0].data)
    out.write(add_structure(drawn[0], tree, marks, opts.title, opts.author, opts.date, outline))


class _Marks(Mapping):
    """Page number -> the page's marks, read from its drawing when the structure tree
    reaches the page (a spooled drawing decodes them then; they are not all held)."""

    def __init__(self, ops: dict):
        self._ops = ops

    def __getitem__(self, number: int) -> tuple:
        return self._ops[number].marks

    def __iter__(self):
        return iter(self._ops)

    def __len__(self) -> int:
        return len(self._ops)


def with_pdf_ads(drawn: bytes, tree: EditionTree, opts: RenderOptions) -> bytes:
    """The reader edition `drawn` with its PDF ads placed (`place_pdf_ads`): pikepdf copies
    each ad's page in as a Form XObject and writes the document again. Its streams are
    left as they are (decoding off); what the ads' pages bring is written as they have it."""
    import pikepdf
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(drawn)) as pdf:
        place_pdf_ads(pdf, list(tree.pages), opts.edition_root)
        filters_as_names(pdf)
        pdf.save(out, deterministic_id=True, compress_streams=True, fix_metadata_version=False,
                 stream_decode_level=pikepdf.StreamDecodeLevel.none, recompress_flate=False)
    return out.getvalue()


def linearize(source: Path, out: BinaryIO) -> None:
    """The PDF file at `source` written to `out` linearised ("fast web view": a browser's
    viewer shows the first page before the whole file has downloaded) by qpdf, its
    dictionaries packed into object streams. For the website's download: a build's reader
    edition is not linearised — qpdf reading and writing every object again cost a third
    of a `watch` rebuild. Deterministic: the same file gives the same bytes."""
    import pikepdf
    with pikepdf.open(source) as pdf:
        # Every stream is already Flate-compressed: with decoding off qpdf leaves them as they
        # are and compresses only the object streams. (fix_metadata_version off: our XMP
        # names no pdf:PDFVersion to fix, and looking for one parsed it with lxml — an
        # import of ~11 ms)
        filters_as_names(pdf)
        pdf.save(out, linearize=True, deterministic_id=True, compress_streams=True, fix_metadata_version=False,
                 stream_decode_level=pikepdf.StreamDecodeLevel.none, recompress_flate=False,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)


def filters_as_names(pdf) -> None:
    """Write a stream's single filter as a name, not as a one-element array (both are
    PDF 32000-1 §7.3.8.2). reportlab writes a picture's `/Filter [/FlateDecode]`, and qpdf
    takes a stream so filtered for one it may compress (`compress_streams`): it inflated
    and deflated every picture again — for the very same bytes — which was 0.49 of the
    0.50 s the sample's six pictures cost its reader edition's save. The pages' XObjects
    are looked at (pictures, and an ad's PDF page with what it draws)."""
    import pikepdf
    seen: set = set()
    todo = [page.obj.get("/Resources") for page in pdf.pages]
    while todo:
        resources = todo.pop()
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        if not isinstance(xobjects, pikepdf.Dictionary):
            continue
        for _, xobject in xobjects.items():
            if not isinstance(xobject, pikepdf.Stream) or xobject.objgen in seen:
                continue
            if xobject.objgen != (0, 0):
                seen.add(xobject.objgen)
            filters = xobject.get("/Filter")
            if isinstance(filters, pikepdf.Array) and len(filters) == 1 and isinstance(filters[0], pikepdf.Name):
                xobject.Filter = filters[0]
                parms = xobject.get("/DecodeParms")
                if isinstance(parms, pikepdf.Array) and len(parms) == 1:   # goes with the filter
                    if isinstance(parms[0], pikepdf.Dictionary):
                        xobject.DecodeParms = parms[0]
                    else:
                        del xobject["/DecodeParms"]
            todo.append(xobject.get("/Resources"))


def _with_catalog(on_page, outline: bool):
    done = []

    def wrapped(c, page):
        if not done:
            c.setViewerPreference("DisplayDocTitle", "true")
            if outline:
                c.showOutline()   # /PageMode /UseOutlines: the list of pages and articles shown on opening
            done.append(True)
        on_page(c, page)
    return wrapped


class _PdfxInfo(PDFInfo):
    """reportlab's Info dictionary plus the PDF/X version key (pdfinfo reads it)."""

    version = PDFX_VERSION

    def format(self, document):
        from reportlab.pdfbase.pdfdoc import NoEncryption
        assert isinstance(document.encrypt, NoEncryption), "an encrypted document encodes strings with its key"
        ts = document._timeStamp
        return _pdfx_info(self.title, self.author, self.subject, self.keywords, self.creator, self.producer,
                          self.version, (tuple(ts.YMDhms), ts.dhh, ts.dmm))


@functools.lru_cache(maxsize=8)
def _pdfx_info(title: str, author: str, subject: str, keywords: str, creator: str, producer: str,
               version: str, stamp: tuple) -> bytes:
    """The Info dictionary, formatted once for all of an edition's print pages: reportlab
    encodes a string character by character, and Keywords lists every page's section —
    formatted again for each page it made print pages quadratic (~1 ms a page at 256)."""
    from types import SimpleNamespace

    from reportlab.pdfbase.pdfdoc import PDFDate, PDFDocument
    D = {"Title": PDFString(title), "Author": PDFString(author),
         "Subject": PDFString(subject), "Keywords": PDFString(keywords),
         "Creator": PDFString(creator), "Producer": PDFString(producer),
         "Trapped": PDFName("False"), "GTS_PDFXVersion": PDFString(version)}
    ymdhms, dhh, dmm = stamp
    D["CreationDate"] = D["ModDate"] = PDFDate(ts=SimpleNamespace(YMDhms=ymdhms, dhh=dhh, dmm=dmm))
    return PDFDictionary(D).format(PDFDocument(invariant=True))


def _xmp(title: str, date: dt.date | None, version: str = PDFX_VERSION) -> bytes:
    stamp = (date or dt.date(2000, 1, 1)).isoformat() + "T00:00:00Z"
    xml = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:pdfx="http://ns.adobe.com/pdfx/1.3/"
    xmlns:pdfxid="http://www.npes.org/pdfx/ns/id/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{_xml_escape(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:format>application/pdf</dc:format>
   <xmp:CreateDate>{stamp}</xmp:CreateDate>
   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <xmp:CreatorTool>banmian</xmp:CreatorTool>
   <pdf:Producer>banmian (reportlab)</pdf:Producer>
   <pdf:Trapped>False</pdf:Trapped>
   <pdfx:GTS_PDFXVersion>{version}</pdfx:GTS_PDFXVersion>
   <pdfxid:GTS_PDFXVersion>{version}</pdfxid:GTS_PDFXVersion>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return xml.encode("utf-8")


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def print_pdf(tree: EditionTree, page: PageTree, registry: FontRegistry, opts: RenderOptions,
              content_hash: str, ops=None, pictures=None) -> bytes:
    opts = replace(opts, mode="print")

    def on_page(c, _page) -> None:
        doc = c._doc
        if getattr(doc, "_banmian_pdfx", False):
            return
        doc._banmian_pdfx = True
        info = _PdfxInfo()
        info.__dict__.update(doc.info.__dict__)
        version = PDFX4_VERSION if opts.icc else PDFX_VERSION
        info.version = version
        doc.info = info
        catalog = doc.Catalog
        intent = {"Type": PDFName("OutputIntent"), "S": PDFName("GTS_PDFX")}
        if opts.icc:
            # PDF/X-4: the output condition travels as an embedded CMYK profile
            profile = PDFStream(PDFDictionary({"N": 4}), opts.icc, filters=None)
            intent.update({"OutputConditionIdentifier": PDFString("Custom"),
                           "OutputCondition": PDFString("CMYK output profile named by the template"),
                           "DestOutputProfile": doc.Reference(profile)})
        else:
            intent.update({"OutputConditionIdentifier": PDFString(OUTPUT_CONDITION),
                           "OutputCondition": PDFString("Coldset offset on newsprint (ISO 12647-3)"),
                           "RegistryName": PDFString("http://www.color.org"),
                           "Info": PDFString("IFRA26 — ISO 12647-3:2013 coldset newsprint")})
        catalog.OutputIntents = PDFArray([PDFDictionary(intent)])
        stream = PDFStream(PDFDictionary({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}),
                           _xmp(opts.title, opts.date, version), filters=[])
        stream.__Comment__ = None
        catalog.Metadata = doc.Reference(stream)
        # reportlab's catalog writes only the keys it knows: teach it OutputIntents
        catalog.__NoDefault__ = list(type(catalog).__NoDefault__) + ["OutputIntents"]
        catalog.__Refs__ = catalog.__NoDefault__

    data = render(tree, [page], registry, opts, f"{content_hash}:{page.number}", on_page=on_page,
                  ops={page.number: ops} if ops is not None else None, pictures=pictures)
    if any(is_pdf_ad(b) for b in ad_blocks(page)):
        import pikepdf
        out = io.BytesIO()
        with pikepdf.open(io.BytesIO(data)) as pdf:
            place_pdf_ads(pdf, [page], opts.edition_root, reader=False)
            filters_as_names(pdf)
            pdf.save(out, deterministic_id=True, compress_streams=True,
                     stream_decode_level=pikepdf.StreamDecodeLevel.none)
        data = out.getvalue()
    return data
