"""Copy clean-up, as copy really arrives from reporters and wire services.

- Unicode NFC.
- Control characters and zero-width characters are stripped (they break
  measurement and text search) — counted.
- ASCII , : ; ! ? ( ) between Chinese characters become their full-width
  forms ，：；！？（） (GB/T 15834 uses full-width marks in Chinese text), and
  an ASCII full stop after a Chinese character becomes 。 (a decimal point
  sits between digits, never after a hanzi).
- Straight quotes around Chinese text become “ ” and ‘ ’.

Every conversion is counted so the loader can warn per article: silent
rewriting of copy is not acceptable in a newsroom.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter

_CJK = (r"\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
        r"\uff00-\uffef\U00020000-\U0003134f\u201c\u201d\u2018\u2019\u2014\u2026")
_CJK_CLASS = f"[{_CJK}]"

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_STRIP = re.compile(f"[{_ZERO_WIDTH}\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# anything any rule below could touch: text without it is returned as it is, unscanned
_ANY = re.compile(f"[{_ZERO_WIDTH}\x00-\x08\x0b\x0c\x0e-\x1f\x7f,:;!?.()\"']")

_MARKS = re.compile("[,:;!?.]")
_FULL = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）", ".": "。"}
# a mark between Chinese characters (spaces around it are swallowed); a
# sentence mark may also end the text
_BETWEEN = re.compile(rf"(?<={_CJK_CLASS}) *([,:;!?.]) *(?={_CJK_CLASS}|$)")
# Each pattern is linear in the text: the atomic group takes the first hanzi of a
# stretch and never gives it back, and the possessive tail never backtracks, so an
# unclosed quote or bracket in a long paragraph costs one scan, not one per character
# (the plain forms were quadratic: 100,000 characters after a lone " took minutes).
_OPEN = re.compile(rf"(?:(?<={_CJK_CLASS})|^) *\((?=(?>[^()]*?{_CJK_CLASS})[^()]*+\))")
_CLOSE = re.compile(r"(?<=（)([^()（）]*?)\) *")
_DQUOTE = re.compile(rf'"((?>[^"\n]*?{_CJK_CLASS})[^"\n]*+)"')
_SQUOTE = re.compile(rf"(?<![A-Za-z])'((?>[^'\n]*?{_CJK_CLASS})[^'\n]*+)'(?![A-Za-z])")

LABELS = {
    "stripped": "control/zero-width characters stripped",
    "punct": "ASCII punctuation made full-width",
    "dquote": "straight double quotes made “ ”",
    "squote": "straight single quotes made ‘ ’",
    "nfc": "text normalised to NFC",
}


def clean_text(text: str, counts: Counter | None = None) -> str:
    """Return the cleaned text; add the number of each conversion to `counts`."""
    counts = counts if counts is not None else Counter()
    nfc = unicodedata.normalize("NFC", text)
    if nfc != text:
        counts["nfc"] += 1
    if not _ANY.search(nfc):
        return nfc
    # each rule scans the text only if the character it needs is there at all (a paragraph
    # with a comma but no quote or bracket — most copy — is scanned once, not six times)
    text, n = _STRIP.subn("", nfc)
    counts["stripped"] += n
    if '"' in text:
        text, n = _DQUOTE.subn(lambda m: f"“{m.group(1)}”", text)
        counts["dquote"] += n
    if "'" in text:
        text, n = _SQUOTE.subn(lambda m: f"‘{m.group(1)}’", text)
        counts["squote"] += n
    if "(" in text:
        text, n = _OPEN.subn("（", text)
        counts["punct"] += n
    if ")" in text:
        text, n = _CLOSE.subn(lambda m: f"{m.group(1)}）", text)
        counts["punct"] += n
    if _MARKS.search(text):
        text, n = _BETWEEN.subn(lambda m: _FULL[m.group(1)], text)
        counts["punct"] += n
    return text


def describe(counts: Counter) -> str:
    return ", ".join(f"{counts[k]} × {LABELS[k]}" for k in LABELS if counts.get(k))
