"""Load one article file: front matter (引题, 主题, 副题, byline, options) and a body.

The body: paragraphs separated by blank lines, `## ` section subheads (小标题),
`![caption](images/x.png)` pictures (checked to decode, within a
decompression-bomb limit), `**bold**` spans. Copy is cleaned as it is read
(`cleanup`), and every conversion is reported.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

from ..problems import Problems
from . import cleanup
from .model import (
    FRAME_STYLES,
    PUNCTUATION_STYLES,
    WRAP_SIDES,
    Article,
    Block,
    Image,
    Paragraph,
    PullQuote,
    Span,
    Subhead,
    Table,
)
from .source import _Source, display_path, inside, read_limited, read_text
from .yamlsrc import YamlError, load_located

FRONT_KEYS = {"kicker", "headline", "subhead", "byline", "dateline", "short_headline",
              "vertical_headline", "frame", "tint", "reverse", "punctuation"}
MAX_TINT = 30   # % per ink: a background body text stays legible on (and within the ink limit)


# Characters a deck line may hold: a headline sets in at most two lines across a page
# (a broadsheet's 6 columns take ~20 characters at 42 pt); past these nothing can print it.
FRONT_LIMITS = {"headline": 64, "short_headline": 32, "kicker": 100, "subhead": 100, "byline": 100,
                "dateline": 40}

_FRONT = re.compile(r"\A---\n(.*?\n)---[ \t]*(?:\n|\Z)", re.S)
# ![caption](path "credit"){crop=10,0,90,100 focus=60,40 rows=12 columns=4 credit="…"}
_IMAGE = re.compile(r'^!\[(?P<caption>[^\]]*)\]\((?P<path>[^)\s]+)(?:\s+"(?P<title>[^"]*)")?\)'
                    r'(?:\{(?P<attrs>[^}]*)\})?\s*$')
_ATTR = re.compile(r'\s*([a-z]+)=(?:"([^"]*)"|([^\s"]+))')
PICTURE_ATTRS = ("credit", "crop", "focus", "rows", "columns", "wrap")
QUOTE_ATTRS = ("columns", "wrap")
_TRAILING_ATTRS = re.compile(r"\{([^{}]*)\}\s*$")
MAX_CREDIT = 40
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_FIGURE = re.compile(r"^[+\-−±]?\d[\d,.]*\s?[%％]?$|^[—–-]+$")
MAX_TABLE_COLUMNS, MAX_TABLE_ROWS = 12, 500


def picture_digest(path: Path) -> str | None:
    """SHA-256 of a picture's bytes, or None if it cannot be read."""
    try:
        return hashlib.sha256(read_limited(path, MAX_IMAGE_BYTES)).hexdigest()
    except OSError:
        return None


def load_article(file: Path, root: Path, problems: Problems) -> Article | None:
    text = read_text(file, problems)
    if text is None:
        return None
    m = _FRONT.match(text)
    if not m:
        problems.error("front-matter", "an article starts with front matter between '---' lines "
                       "(at least a headline)", file=display_path(file), line=1)
        return None
    try:
        front, lines = load_located(m.group(1))
    except YamlError as exc:
        problems.error("yaml", exc.message, file=display_path(file), line=exc.line + 1)
        return None
    # the front matter starts on line 2 of the file
    src = _Source(file, {k: v + 1 for k, v in lines.items()}, problems)
    front = src.mapping(front if front is not None else {}, (), FRONT_KEYS)
    if front is None:
        return None
    counts: Counter = Counter()

    def clean(key: str, required: bool = False) -> str:
        text = cleanup.clean_text(src.text(front, key, (), required=required), counts)
        n = len(text.replace("|", ""))
        if n > FRONT_LIMITS[key]:
            src.error((key,), f"{n} characters is too long for a {key}: at most {FRONT_LIMITS[key]}", "too-long")
        return text

    errors_before = len(problems.errors)
    headline = clean("headline", required=True)
    punctuation = src.text(front, "punctuation", ()) or "quanjiao"
    if punctuation not in PUNCTUATION_STYLES:
        src.error(("punctuation",), f"unknown punctuation style '{punctuation}'; "
                  f"one of {', '.join(PUNCTUATION_STYLES)}")
    body_start = text[: m.end()].count("\n") + 1
    body = _body(text[m.end():], body_start, file, root, problems, counts)
    # a picture item (图片新闻) is pictures and their captions alone; else there must be text,
    # paragraphs or tables (a listing: TV programmes, results, prices)
    pictures_only = body and all(isinstance(b, Image) for b in body)
    if not pictures_only and not any(isinstance(b, (Paragraph, Table)) for b in body):
        problems.error("empty-body", "the article has no body text" +
                       (" (only subheads, pictures or pull quotes)" if body else ""),
                       file=display_path(file), line=body_start)
    article = Article(
        id=file.stem, source=file, headline=headline, kicker=clean("kicker"), subhead=clean("subhead"),
        byline=clean("byline"), dateline=clean("dateline"), short_headline=clean("short_headline"),
        vertical_headline=bool(src.get(front, "vertical_headline", (), bool, default=False)),
        frame=_frame(src, front), tint=_tint(src, front),
        reverse=bool(src.get(front, "reverse", (), bool, default=False)),
        punctuation=punctuation, body=tuple(body), digest=hashlib.sha256(text.encode("utf-8")).hexdigest())
    if any(counts.values()):
        problems.warning("copy-cleanup", f"copy clean-up: {cleanup.describe(counts)}",
                         file=display_path(file), article=article.id)
    return None if len(problems.errors) > errors_before else article


def _body(text: str, first_line: int, file: Path, root: Path, problems: Problems,
          counts: Counter) -> list[Block]:
    blocks: list[Block] = []
    chunk: list[str] = []
    chunk_line = first_line

    def flush() -> None:
        if not chunk:
            return
        first = chunk[0].strip()
        if first.startswith("## "):
            blocks.append(Subhead(cleanup.clean_text(first[3:].strip(), counts), chunk_line))
            rest = chunk[1:]
            if rest:
                blocks.append(_paragraph(rest, chunk_line + 1, counts))
        elif first.startswith("|") and len(chunk) >= 2 and _TABLE_RULE.match(chunk[1]):
            table = _table(chunk, chunk_line, counts, problems, dict(file=display_path(file), field="table"))
            if table is not None:
                blocks.append(table)
        elif all(ln.lstrip().startswith(">") for ln in chunk):
            quote = _pull_quote(chunk, chunk_line, counts, problems, dict(file=display_path(file), line=chunk_line,
                                                                        field="quote"))
            if quote is not None:
                blocks.append(quote)
        elif m := _IMAGE.match(first):
            path = inside(root, m.group("path"))
            where = dict(file=display_path(file), line=chunk_line, field="image")
            if path is None:
                problems.error("path-escape", f"path leaves the edition folder: {m.group('path')}", **where)
            elif not path.is_file():
                problems.error("missing-image", f"image not found: {m.group('path')}", **where)
            else:
                size = _image_size(path, m.group("path"), problems, where)
                attrs = _picture_attrs(m.group("attrs") or "", m.group("title"), problems, where)
                if size is not None and attrs is not None:
                    credit = attrs.pop("credit", None)
                    if credit is None:
                        credit = embedded_credit(path)
                    blocks.append(Image(path, cleanup.clean_text(m.group("caption").strip(), counts), chunk_line,
                                        size[0], size[1], picture_digest(path) or "",
                                        credit=cleanup.clean_text(credit, counts)[:MAX_CREDIT], **attrs))
        else:
            para = _paragraph(chunk, chunk_line, counts)
            if para.text.strip():
                blocks.append(para)

    for n, line in enumerate(text.split("\n"), start=first_line):
        if line.strip():
            if not chunk:
                chunk_line = n
            chunk.append(line)
        else:
            flush()
            chunk = []
    flush()
    return blocks


def _frame(src, front: dict) -> str:
    """`frame: true` (a hairline box) or a style of FRAME_STYLES; "" for none."""
    value = src.get(front, "frame", (), (bool, str), default=False)
    if isinstance(value, bool):
        return "single" if value else ""
    if value.strip() not in FRAME_STYLES:
        src.error(("frame",), f"unknown frame style '{value}': true, or one of {', '.join(FRAME_STYLES)}",
                  "bad-value")
        return ""
    return FRAME_STYLES[value.strip()]


def _tint(src, front: dict) -> tuple[float, ...]:
    """`tint: 10` (10 % K) or `tint: [0, 0, 15, 0]` (C, M, Y, K percentages), each ≤ MAX_TINT."""
    raw = front.get("tint")
    if raw is None:
        return ()
    values = [0, 0, 0, raw] if isinstance(raw, (int, float)) and not isinstance(raw, bool) else raw
    if not (isinstance(values, list) and len(values) == 4 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= MAX_TINT for v in values)):
        src.error(("tint",), f"a tint is a K percentage (tint: 10) or [C, M, Y, K] percentages, each 0–{MAX_TINT}",
                  "out-of-range")
        return ()
    return tuple(v / 100 for v in values)


def _cells(line: str) -> list[str]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|"):
        text = text[:-1]
    return [c.strip() for c in text.split("|")]


def _table(lines: list[str], first_line: int, counts: Counter, problems: Problems, where: dict) -> Table | None:
    """A pipe table: head, the |---|:---:|---:| rule, rows. Every row has the head's cells."""
    head = [cleanup.clean_text(c, counts) for c in _cells(lines[0])]
    rule = _cells(lines[1])
    if len(rule) != len(head):
        problems.error("table", f"the rule under the table head has {len(rule)} cells, the head {len(head)}",
                       line=first_line + 1, **where)
        return None
    if len(head) > MAX_TABLE_COLUMNS or len(lines) - 2 > MAX_TABLE_ROWS:
        problems.error("table", f"a table of at most {MAX_TABLE_COLUMNS} columns and {MAX_TABLE_ROWS} rows "
                       f"fits a newspaper column; this has {len(head)} and {len(lines) - 2}", line=first_line, **where)
        return None
    rows = []
    for n, raw in enumerate(lines[2:], start=first_line + 2):
        cells = [cleanup.clean_text(c, counts) for c in _cells(raw)]
        if len(cells) != len(head):
            problems.error("table", f"this table row has {len(cells)} cells, the head has {len(head)}",
                           line=n, **where)
            return None
        rows.append(tuple(cells))
    align = []
    for i, r in enumerate(rule):
        if r.startswith(":") and r.endswith(":"):
            align.append("center")
        elif r.endswith(":"):
            align.append("right")
        elif r.startswith(":"):
            align.append("left")
        else:   # unmarked: a column of figures is set flush right, so that its digits line up
            column = [row[i] for row in rows if row[i]]
            align.append("right" if column and all(_FIGURE.match(c) for c in column) else "left")
    return Table(tuple(head), tuple(rows), tuple(align), first_line)


def _pull_quote(chunk: list[str], line: int, counts: Counter, problems: Problems, where: dict) -> PullQuote | None:
    """`> 一句话 {columns=2 wrap=left}`: the quote's text (its lines joined) and attributes."""
    text = "".join(ln.lstrip()[1:].strip() for ln in chunk)
    attrs: dict | None = {}
    if m := _TRAILING_ATTRS.search(text):
        text = text[:m.start()].rstrip()
        attrs = _attrs(m.group(1), QUOTE_ATTRS, "pull quote", "quote", problems, where)
    if attrs is None:
        return None
    text = cleanup.clean_text(text, counts)
    if not text:
        problems.error("quote", "a pull quote (> ) with no text", **where)
        return None
    return PullQuote(text, line, **attrs)


def _picture_attrs(text: str, title: str | None, problems: Problems, where: dict) -> dict | None:
    """The picture's attributes from `{key=value …}` (and a Markdown title as its credit);
    None, with an error naming the attribute, when one is wrong."""
    out = _attrs(text, PICTURE_ATTRS, "picture", "image", problems, where)
    if out is not None and title is not None:
        out.setdefault("credit", title.strip())
    return out


def _attrs(text: str, known: tuple[str, ...], what: str, prefix: str, problems: Problems,
           where: dict) -> dict | None:
    """`key=value …` pairs of `known` keys, each value checked; None, with an error (of kind
    "picture" or "quote") naming the field `prefix.key`, when one is wrong."""
    kind = "picture" if prefix == "image" else prefix
    out: dict = {}
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _ATTR.match(text, pos)
        if not m:
            problems.error(kind, f"cannot read {what} attributes {text[pos:]!r}: write "
                           f"key=value pairs, one of {', '.join(known)}", **where)
            return None
        key, value = m.group(1), m.group(2) if m.group(2) is not None else m.group(3)
        pos = m.end()
        field = {**where, "field": f"{prefix}.{key}"}
        if key not in known:
            problems.error(kind, f"unknown {what} attribute '{key}': one of {', '.join(known)}", **field)
            return None
        try:
            out[key] = _picture_value(key, value)
        except ValueError as exc:
            problems.error(kind, f"{what} attribute {key}={value!r}: {exc}", **field)
            return None
    return out


def _picture_value(key: str, value: str):
    if key == "credit":
        return value.strip()
    if key == "wrap":
        if value not in WRAP_SIDES:
            raise ValueError(f"wrap is one of {', '.join(WRAP_SIDES)}")
        return value
    if key in ("rows", "columns"):
        if not value.isdigit():
            raise ValueError("not a whole number")
        n, low, high = int(value), (3 if key == "rows" else 1), (200 if key == "rows" else 20)
        if not low <= n <= high:
            raise ValueError(f"{key} must be {low}–{high}")
        return n
    want = 4 if key == "crop" else 2
    try:
        numbers = tuple(float(v) for v in value.split(","))
    except ValueError:
        raise ValueError(f"{key} is {want} numbers separated by commas") from None
    if len(numbers) != want or not all(0 <= v <= 100 for v in numbers):
        raise ValueError(f"{key} is {want} percentages of the picture, 0–100, separated by commas")
    if key == "crop" and (numbers[2] - numbers[0] < 5 or numbers[3] - numbers[1] < 5):
        raise ValueError("crop is left,top,right,bottom with right > left and bottom > top, 5 % apart at least")
    return tuple(v / 100 for v in numbers)


_XMP_CREDIT = (re.compile(r"<photoshop:Credit>([^<]{1,200})</photoshop:Credit>"),
               re.compile(r'photoshop:Credit="([^"]{1,200})"'),
               re.compile(r"<dc:creator>\s*<rdf:Seq>\s*<rdf:li[^>]*>([^<]{1,200})</rdf:li>"))


def embedded_credit(path: Path) -> str:
    """The credit a picture carries in its own metadata: IPTC By-line (2:80) or Credit
    (2:110), else XMP photoshop:Credit or dc:creator; "" when it has none."""
    from PIL import Image as PILImage
    from PIL import IptcImagePlugin
    try:
        with PILImage.open(path) as im:
            iptc = IptcImagePlugin.getiptcinfo(im) or {}
            for key in ((2, 80), (2, 110)):
                value = iptc.get(key)
                if isinstance(value, list):
                    value = value[0] if value else None
                if value:
                    return value.decode("utf-8", "replace").strip()
            xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp") or b""
            if isinstance(xmp, bytes):
                xmp = xmp.decode("utf-8", "replace")
            for pattern in _XMP_CREDIT:
                if m := pattern.search(xmp):
                    return m.group(1).strip()
    except Exception:  # metadata is a courtesy: a picture that decoded is not refused for it
        return ""
    return ""


# Decompression-bomb limits: a broadsheet page at 300 ppi is 4,600 × 6,400 pixels
# (29 MP), and the largest press cameras make 61 MP; past this a picture is refused
# from its header, before a pixel is decoded (a 20 KB PNG can claim 100,000² pixels).
MAX_IMAGE_PIXELS = 64_000_000
MAX_IMAGE_BYTES = 256 * 1024 * 1024


def _image_size(path: Path, name: str, problems: Problems, where: dict) -> tuple[int, int] | None:
    """Pixel size of an image, after checking it decodes; None (and an error) when it does not."""
    from PIL import Image as PILImage
    PILImage.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise PILImage.DecompressionBombError(f"{size / 1024 / 1024:.0f} MB file; limit "
                                                  f"{MAX_IMAGE_BYTES // 1024 // 1024} MB")
        with PILImage.open(path) as im:       # reads the header only
            if im.width * im.height > MAX_IMAGE_PIXELS:
                raise PILImage.DecompressionBombError(f"{im.width:,} × {im.height:,} pixels")
            if getattr(im, "n_frames", 1) > 1:
                raise PILImage.DecompressionBombError(f"{im.n_frames} frames: a press picture has one")
            im.verify()
        with PILImage.open(path) as im:
            im.load()
            return im.size
    except PILImage.DecompressionBombError as exc:
        problems.error("image-too-large", f"image {name} is too large to decode safely ({exc}); "
                       f"limit {MAX_IMAGE_PIXELS:,} pixels", **where)
    except Exception as exc:  # PIL raises many kinds for a damaged file
        problems.error("corrupt-image", f"image {name} cannot be decoded: {exc}", **where)
    return None


def _paragraph(lines: list[str], line: int, counts: Counter) -> Paragraph:
    # Chinese lines join without a space; a space only between two Latin words
    joined = ""
    for raw in lines:
        part = raw.strip()
        if joined and part and joined[-1].isascii() and joined[-1].isalnum() and part[0].isascii() \
                and part[0].isalnum():
            joined += " "
        joined += part
    joined = cleanup.clean_text(joined, counts)
    spans: list[Span] = []
    pos = 0
    for m in _BOLD.finditer(joined):
        if m.start() > pos:
            spans.append(Span(joined[pos:m.start()]))
        spans.append(Span(m.group(1), bold=True))
        pos = m.end()
    if pos < len(joined):
        spans.append(Span(joined[pos:]))
    return Paragraph(tuple(spans), line)
