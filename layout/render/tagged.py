"""The reader edition as a tagged PDF (PDF 32000-1 §14.7–14.8, PDF/UA-1 ISO 14289-1).

`page_ops` marks every line, picture and rule of a page as it draws it
(`pdf.Mark`): the reader writes each as a marked-content sequence with an
MCID, or as an artifact. Here the structure tree is built over those
sequences, in reading order:

    Document
      Art            one per story, in the order the pages list their articles
                     (a jumped story is one Art: its continuation joins it)
        Kicker       引题       (role-mapped to P)
        H1           主题
        Subhead      副题       (role-mapped to P)
        Byline       署名       (role-mapped to P)
        Figure       Alt = the caption
        Caption
        P            a paragraph, across columns and across the jump
        H2           小标题
        Table        a pipe table: TR rows of TH (scope column) / TD cells
        Link         the 下转/上接 line, with its link annotation (OBJR)

Only the headline is a heading (H1): the kicker stands above it, so as H2 it
would break the heading order a screen reader navigates by (PDF/UA-1 §7.4.2
asks headings to nest); kicker, subhead and byline keep their own names,
mapped to P. Masthead, folio, ear, imprint, rules and crop marks are
pagination artifacts.

Also set: /MarkInfo /Marked true, /Lang zh-Hans, /ViewerPreferences
/DisplayDocTitle (already), the page's /StructParents and /Tabs /S, /Contents
on link annotations, and XMP metadata with the title (dc:title), language
and dates. The file does not claim PDF/UA (no pdfuaid in the XMP): no PDF/UA
validator runs offline here; `tests/test_reader_pdf.py` checks what can be
checked from the file itself.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..tree import EditionTree
from .outline import Bookmark, outline_objects
from .pdf import text_string
from .update import incremental_update, last_xref

LANG = "zh-Hans"
ROLE_MAP = {"Kicker": "P", "Subhead": "P", "Byline": "P"}


@dataclass(frozen=True)
class DrawnEdition:
    """The reader edition as drawn (`data`: a PDF file with a classic cross-reference table),
    and what the update that tags it refers to there: the trailer's /Size, /Root, /Info
    and first /ID string, each page's object number, each page's link annotations in
    drawing order, and the dictionaries of the catalog, the pages and those annotations
    as written (number -> PDF text), which the update writes again with entries added."""
    data: bytes
    size: int
    root: int
    info: int | None
    ident: bytes                 # hex
    pages: list[int]
    links: list[list[int]]
    dicts: dict[int, bytes]

    @classmethod
    def from_reportlab(cls, doc, data: bytes) -> DrawnEdition:
        """From reportlab's document `doc` as it wrote `data`: its numbers and offsets."""
        from reportlab.pdfbase.pdfdoc import LinkAnnotation
        numbers, offsets, objects = doc.idToObjectNumberAndVersion, doc.idToOffset, doc.idToObject

        def written(name: str) -> bytes:    # "N 0 obj\n<<…>>\nendobj": the <<…>>
            start = data.index(b"obj", offsets[name]) + 3
            return data[start:data.index(b"endobj", start)].strip()
        page_names = [page.__InternalName__ for page in doc.Pages.pages]
        links = []
        for page in doc.Pages.pages:
            refs = page.Annots.sequence if page.Annots is not None else ()
            links.append([ref.name for ref in refs if isinstance(objects[ref.name], LinkAnnotation)])
        root, info = doc.Catalog.__InternalName__, doc.info.__InternalName__
        dicts = {numbers[name][0]: written(name) for name in [root, *page_names, *(n for ls in links for n in ls)]}
        ident = re.search(rb"<([0-9A-Fa-f]+)>", doc._ID).group(1)
        return cls(data, len(doc.numberToId) + 1, numbers[root][0], numbers[info][0], ident,
                   [numbers[name][0] for name in page_names], [[numbers[n][0] for n in ls] for ls in links], dicts)

    @classmethod
    def read(cls, data: bytes) -> DrawnEdition:
        """From the file itself, read by pikepdf (only the objects named are parsed)."""
        import pikepdf
        from pikepdf import Name
        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = [p.obj for p in pdf.pages]
            links = [[a for a in p.get("/Annots", pikepdf.Array()) if a.get("/Subtype") == Name.Link] for p in pages]
            info = pdf.trailer.get("/Info")
            named = [pdf.Root, *pages, *(a for ls in links for a in ls)]
            dicts = {obj.objgen[0]: obj.unparse(resolved=True) for obj in named}
            return cls(data, int(pdf.trailer.Size), pdf.Root.objgen[0], info.objgen[0] if info is not None else None,
                       bytes(pdf.trailer.ID[0]).hex().upper().encode("ascii"), [p.objgen[0] for p in pages],
                       [[a.objgen[0] for a in ls] for ls in links], dicts)


def add_structure(drawn: DrawnEdition, tree: EditionTree, marks: Mapping[int, tuple], title: str, author: str,
                  date: dt.date | None, outline: Sequence[Bookmark] = ()) -> bytes:
    """The incremental update (`update.incremental_update`) that makes `drawn` — pages in
    `tree` order; `marks`: page number -> the page's pdf.Mark tuple — a tagged PDF: the
    structure tree, the outline (`outline.bookmarks`) and the XMP metadata, and new
    versions of the objects that refer to them: the catalog (/StructTreeRoot, /Outlines,
    /Metadata, /MarkInfo), every page (/StructParents, and /Tabs where it has links) and
    each link annotation (/StructParent). Everything is made here as PDF text: made as
    pikepdf objects, the structure tree alone took ~0.08 s for 64 pages."""
    size = drawn.size
    built = _Builder(size).build(tree, marks, drawn.pages, drawn.links)
    entries, outline_root = outline_objects(outline, drawn.pages, size + len(built.objects))
    metadata = size + len(built.objects) + len(entries)
    objects = {}
    with_links = {page_index for page_index, _ in built.annots}
    for index, num in enumerate(drawn.pages):
        tabs = "/Tabs/S" if index in with_links else ""   # tab through links in structure order
        objects[num] = _with_entries(drawn.dicts[num], f"/StructParents {index}{tabs}")
    for (_, annot), key in built.annots.items():
        objects[annot] = _with_entries(drawn.dicts[annot], f"/StructParent {key}")
    refs = f"/MarkInfo<</Marked true>>/StructTreeRoot {built.root} 0 R/Metadata {metadata} 0 R"
    if entries:
        refs += f"/Outlines {outline_root} 0 R"
    objects[drawn.root] = _with_entries(drawn.dicts[drawn.root], refs)
    objects.update((size + i, body) for i, body in enumerate(built.objects + entries))
    xmp = _xmp(title, author, date)
    # (the metadata stream stays uncompressed, as PDF/A asks: a search for XMP finds it)
    streams = {metadata: b"<</Type/Metadata/Subtype/XML/Length %d>>\nstream\n%s\nendstream" % (len(xmp), xmp)}
    trailer = f"/Root {drawn.root} 0 R" + (f"/Info {drawn.info} 0 R" if drawn.info is not None else "")
    return incremental_update(len(drawn.data), last_xref(drawn.data), objects, streams, metadata + 1,
                              trailer.encode("ascii"), drawn.ident)


def _with_entries(written: bytes, entries: str) -> bytes:
    """A dictionary's PDF text `written` with `entries` (PDF text) added before its `>>`;
    none of their keys may be there already (a key twice is an error in PDF)."""
    for key in re.findall(r"/(\w+)(?=[\s<\[(/0-9])", entries):
        if re.search(rb"/%s[\s<\[(/0-9]" % key.encode(), written):
            raise ValueError(f"the dictionary has /{key} already")
    if not written.endswith(b">>"):
        raise ValueError("not a dictionary")
    return written[:-2] + entries.encode("ascii") + b">>"


@dataclass
class _Built:
    objects: list[bytes]   # the update's objects, numbered from the first free number
    root: int              # the StructTreeRoot's number
    annots: dict           # (page index, link annotation's number) -> its ParentTree key


class _Element:
    """A structure element being built: its object number, type, parent's number, page's
    object number (None: the Document), kids (MCIDs, elements, marked-content and object
    references) and further entries, as PDF text."""

    __slots__ = ("num", "role", "parent", "page", "kids", "extra")

    def __init__(self, num: int, role: str, parent: int, page: int | None, extra: str = ""):
        self.num, self.role, self.parent, self.page, self.kids, self.extra = num, role, parent, page, [], extra

    def add_content(self, page: int, mcid: int) -> None:
        """An MCID on the element's own page is a plain integer; on another page (a paragraph
        continued over the jump) a marked-content reference names the page."""
        self.kids.append(str(mcid) if page == self.page else f"<</Type/MCR/Pg {page} 0 R/MCID {mcid}>>")

    def text(self) -> bytes:
        pg = f"/Pg {self.page} 0 R" if self.page is not None else ""
        return (f"<</Type/StructElem/S/{self.role}/P {self.parent} 0 R{pg}/K[{' '.join(self.kids)}]"
                f"{self.extra}>>").encode("ascii")


class _Builder:
    def __init__(self, first: int):
        self.next = first
        self.made: list[_Element] = []

    def make(self, role: str, parent: _Element | int, page: int | None, extra: str = "") -> _Element:
        """A StructElem of type `role` under `parent` (an element, or the root's number) on
        the page `page` (an object number; None: no page, the Document)."""
        element = _Element(self.next, role, parent.num if isinstance(parent, _Element) else parent, page, extra)
        self.next += 1
        if isinstance(parent, _Element):
            parent.kids.append(f"{element.num} 0 R")
        self.made.append(element)
        return element

    def build(self, tree: EditionTree, marks: Mapping[int, tuple], page_nums: list[int],
              link_annots: list[list[int]]) -> _Built:
        root = self.next   # the StructTreeRoot; the ParentTree follows the elements
        self.next += 1
        document = self.make("Document", root, None)
        headlines = {}
        for page in tree.pages:
            for entry in page.articles:
                headlines.setdefault(entry.id, entry.headline)
        stories: dict[str, _Element] = {}
        open_paragraph: dict[str, _Element] = {}   # article -> its P still running (across columns, pages)
        open_table: dict[str, tuple] = {}          # article -> (its Table, the row being filled or None,
                                                   #            whether it has body rows yet)
        nums: list[tuple[int, str]] = []           # the ParentTree's number tree: (key, value)
        annots: dict[tuple[int, int], int] = {}
        next_key = len(tree.pages)
        for index, (page, page_ref) in enumerate(zip(tree.pages, page_nums)):
            for entry in page.articles:   # stories in the page's reading order
                if entry.id not in stories:
                    stories[entry.id] = self.make("Art", document, page_ref, f"/T{text_string(headlines[entry.id])}")
            parents = []
            figure = None                 # the Figure element just made, for its caption
            links = []                    # the Link elements, in drawing order
            for mark in marks.get(page.number, ()):
                if mark.role in ("Span", "Artifact"):   # a line's ActualText; furniture
                    continue
                story = stories.get(mark.article)
                if story is None:         # a block whose article the page does not list
                    story = stories[mark.article] = self.make("Art", document, page_ref)
                if mark.role in ("TH", "TD"):
                    # a table's cells: consecutive cells of a story make one Table (also over a
                    # column break) until a head row follows body rows (the next table of a
                    # listing); a row ends with its last cell
                    table, row, has_body = open_table.get(mark.article, (None, None, False))
                    if table is None or (row is None and mark.role == "TH" and has_body):
                        table, has_body = self.make("Table", story, page_ref), False
                    if row is None:
                        row = self.make("TR", table, page_ref)
                    element = self.make(mark.role, row, page_ref,
                                        "/A<</O/Table/Scope/Column>>" if mark.role == "TH" else "")
                    open_table[mark.article] = (table, None if mark.last else row, has_body or mark.role == "TD")
                elif mark.role == "P":
                    element = open_paragraph.get(mark.article)
                    if element is None:
                        element = open_paragraph[mark.article] = self.make("P", story, page_ref)
                    if mark.last:
                        del open_paragraph[mark.article]
                else:
                    element = self.make(mark.role, story, page_ref)
                    if mark.role == "Link":
                        links.append(element)
                    elif mark.role == "Figure":
                        figure = element
                        element.extra = f"/Alt{text_string('图片：' + headlines.get(mark.article, ''))}"
                    elif mark.role == "Caption" and figure is not None:
                        # a figure's alternative text is its caption (PDF/UA-1 §7.3)
                        figure.extra = f"/Alt{text_string(mark.text)}"
                if mark.role not in ("Figure", "Caption"):
                    figure = None
                if mark.role not in ("TH", "TD"):
                    open_table.pop(mark.article, None)
                element.add_content(page_ref, len(parents))
                parents.append(f"{element.num} 0 R")
            nums.append((index, f"[{' '.join(parents)}]"))
            # link annotations in drawing order are the page's jump lines in drawing order
            for annot, link in zip(link_annots[index], links):
                link.kids.append(f"<</Type/OBJR/Obj {annot} 0 R/Pg {page_ref} 0 R>>")
                nums.append((next_key, f"{link.num} 0 R"))
                annots[(index, annot)] = next_key
                next_key += 1
        parent_tree = self.next
        role_map = "".join(f"/{k}/{v}" for k, v in ROLE_MAP.items())
        objects = [f"<</Type/StructTreeRoot/K[{document.num} 0 R]/RoleMap<<{role_map}>>"
                   f"/ParentTree {parent_tree} 0 R/ParentTreeNextKey {next_key}>>".encode("ascii")]
        objects += [e.text() for e in self.made]
        # a number tree's keys ascend (PDF 32000-1 §7.9.7): the pages' indices, then the link
        # annotations' keys, which were met page by page among them
        nums.sort(key=lambda kv: kv[0])
        objects.append(f"<</Nums[{' '.join(f'{k} {v}' for k, v in nums)}]>>".encode("ascii"))
        return _Built(objects, root, annots)


def _xml(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xmp(title: str, author: str, date: dt.date | None) -> bytes:
    stamp = (date or dt.date(2000, 1, 1)).isoformat() + "T00:00:00Z"
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{_xml(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{_xml(author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:language><rdf:Bag><rdf:li>{LANG}</rdf:li></rdf:Bag></dc:language>
   <dc:format>application/pdf</dc:format>
   <xmp:CreateDate>{stamp}</xmp:CreateDate>
   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <xmp:CreatorTool>banmian</xmp:CreatorTool>
   <pdf:Producer>banmian (reportlab)</pdf:Producer>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()
