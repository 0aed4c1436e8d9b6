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
from collections.abc import Mapping

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ..tree import EditionTree

LANG = "zh-Hans"
ROLE_MAP = {"Kicker": "P", "Subhead": "P", "Byline": "P"}


def tag(pdf: pikepdf.Pdf, tree: EditionTree, marks: Mapping[int, tuple], title: str, author: str,
        date: dt.date | None) -> None:
    """Add the structure tree to `pdf` (the reader edition, pages in `tree` order), given
    each page's marks (page number -> tuple of pdf.Mark)."""
    root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    elements = _Elements(pdf)
    document = elements.make("Document", root, None)
    root.K = Array([document.obj])
    root.RoleMap = Dictionary({f"/{k}": Name("/" + v) for k, v in ROLE_MAP.items()})

    headlines = {}
    for page in tree.pages:
        for entry in page.articles:
            headlines.setdefault(entry.id, entry.headline)
    stories: dict[str, _Element] = {}
    open_paragraph: dict[str, _Element] = {}   # article -> its P still running (across columns, pages)
    open_table: dict[str, tuple] = {}          # article -> (its Table, the row being filled or None,
                                               #            whether it has body rows yet)
    nums: list = []   # the ParentTree's number tree as (key, value), made an Array once at the end:
                      # pikepdf's Array.extend copies the array, which made tagging quadratic in the pages
    next_key = len(tree.pages)
    for index, (page, pdf_page) in enumerate(zip(tree.pages, pdf.pages)):
        page_ref = pdf_page.obj
        for entry in page.articles:   # stories in the page's reading order
            if entry.id not in stories:
                stories[entry.id] = elements.make("Art", document, page_ref, T=String(headlines[entry.id]))
        parents = []
        figure = None                 # the Figure element just made, for its caption
        links = []                    # (Link element, its text)
        for mark in marks.get(page.number, ()):
            if mark.role in ("Span", "Artifact"):   # a line's ActualText; furniture
                continue
            story = stories.get(mark.article)
            if story is None:         # a block whose article the page does not list
                story = stories[mark.article] = elements.make("Art", document, page_ref)
            if mark.role in ("TH", "TD"):
                # a table's cells: consecutive cells of a story make one Table (also over a
                # column break) until a head row follows body rows (the next table of a
                # listing); a row ends with its last cell
                table, row, has_body = open_table.get(mark.article, (None, None, False))
                if table is None or (row is None and mark.role == "TH" and has_body):
                    table, has_body = elements.make("Table", story, page_ref), False
                if row is None:
                    row = elements.make("TR", table, page_ref)
                element = elements.make(mark.role, row, page_ref)
                if mark.role == "TH":
                    element.obj.A = Dictionary(O=Name.Table, Scope=Name.Column)
                open_table[mark.article] = (table, None if mark.last else row, has_body or mark.role == "TD")
            elif mark.role == "P":
                element = open_paragraph.get(mark.article)
                if element is None:
                    element = open_paragraph[mark.article] = elements.make("P", story, page_ref)
                if mark.last:
                    del open_paragraph[mark.article]
            else:
                element = elements.make(mark.role, story, page_ref)
                if mark.role == "Link":
                    links.append((element, mark.text))
                elif mark.role == "Figure":
                    figure = element
                    element.obj.Alt = String(f"图片：{headlines.get(mark.article, '')}")
                elif mark.role == "Caption" and figure is not None:
                    figure.obj.Alt = String(mark.text)   # a figure's alternative text is its caption (PDF/UA-1 §7.3)
            if mark.role not in ("Figure", "Caption"):
                figure = None
            if mark.role not in ("TH", "TD"):
                open_table.pop(mark.article, None)
            element.add_content(page_ref, len(parents))
            parents.append(element.obj)
        pdf_page.StructParents = index
        nums.append((index, Array(parents)))
        # link annotations in drawing order are the page's jump lines in drawing order
        annots = [a for a in pdf_page.get("/Annots", Array()) if a.get("/Subtype") == Name.Link]
        for annot, (link, text) in zip(annots, links):
            annot.StructParent = next_key
            annot.Contents = String(text.strip("（）"))
            link.kids.append(Dictionary(Type=Name.OBJR, Obj=annot, Pg=page_ref))
            nums.append((next_key, link.obj))
            next_key += 1
        if annots:
            pdf_page.Tabs = Name.S   # tab through links in structure order
    elements.finish()
    # a number tree's keys ascend (PDF 32000-1 §7.9.7): the pages' indices, then the link
    # annotations' keys — which were written page by page among them, out of order
    nums.sort(key=lambda kv: kv[0])
    root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array([x for kv in nums for x in kv])))
    root.ParentTreeNextKey = next_key
    pdf.Root.StructTreeRoot = root
    pdf.Root.MarkInfo = Dictionary(Marked=True)
    pdf.Root.Lang = String(LANG)
    pdf.Root.Metadata = pdf.make_stream(_xmp(title, author, date), Type=Name.Metadata, Subtype=Name.XML)


class _Element:
    """A structure element being built: its PDF object, its kids (K) and its page's object
    number. The kids are a Python list until `_Elements.finish` makes each an Array once —
    appending to a pikepdf Array one kid at a time costs a call across to qpdf for the
    array and another for the kid, thousands of times an edition."""

    __slots__ = ("obj", "kids", "page")

    def __init__(self, obj: pikepdf.Object, page):
        self.obj, self.kids, self.page = obj, [], page

    def add_content(self, page_ref, mcid: int) -> None:
        """An MCID on the element's own page is a plain integer; on another page (a paragraph
        continued over the jump) a marked-content reference names the page."""
        if self.page == page_ref.objgen:
            self.kids.append(mcid)
        else:
            self.kids.append(Dictionary(Type=Name.MCR, Pg=page_ref, MCID=mcid))


class _Elements:
    def __init__(self, pdf: pikepdf.Pdf):
        self.pdf = pdf
        self.made: list[_Element] = []
        self.types: dict[str, pikepdf.Name] = {}
        self.struct_elem = Name.StructElem

    def make(self, role: str, parent, page_ref, **extra) -> _Element:
        """A StructElem of type `role` under `parent` (an _Element, or the root's object) on
        the page `page_ref` (None: no page, the Document)."""
        kind = self.types.get(role)
        if kind is None:
            kind = self.types[role] = Name("/" + role)
        entries = {"Type": self.struct_elem, "S": kind, "P": parent.obj if isinstance(parent, _Element) else parent}
        if page_ref is not None:
            entries["Pg"] = page_ref
        obj = self.pdf.make_indirect(Dictionary(**entries, **extra))
        element = _Element(obj, page_ref.objgen if page_ref is not None else None)
        if isinstance(parent, _Element):
            parent.kids.append(obj)
        self.made.append(element)
        return element

    def finish(self) -> None:
        for element in self.made:
            element.obj.K = Array(element.kids)


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
