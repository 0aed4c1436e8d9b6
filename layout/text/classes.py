"""Character classes for Chinese line composition, as data.

Sources (see ../shared/docs/cjk-typesetting.md):
- GB/T 15834—2011 §5 as summarised in W3C clreq
  #prohibition_rules_for_line_start_end, at clreq's "GB-style" level (basic
  + the solidus neither starts nor ends a line); —— and …… may start a line.
- Postfix/prefix symbols (％‰℃° / ￥＄￡): OOXML kinsoku defaults, jlreq cl-12/13.
- Punctuation positions in the em box: GB/T 15834 §5.1 and clreq
  #glyphs_sizes_and_positions_in_character_faces_of_punctuation_marks.

MODEL_* are exactly the sets of the test model (cjk-typesetting.md §0);
production adds the rarer marks the model leaves out.
"""
from __future__ import annotations

# clreq/GB: may not start a line — 点号, closing quotes/brackets/book titles,
# connector ～, interpunct ·, solidus, postfix units.
MODEL_NO_START = frozenset("。，、；：？！．”’）》〉】〕〗」』］｝～％‰℃°·／" + ")]},.:;!?%/")
# clreq/GB: may not end a line — opening quotes/brackets/book titles, prefix symbols.
MODEL_NO_END = frozenset("“‘（《〈【〔〖「『［｛￥＄￡" + "([{$/")

NO_START = MODEL_NO_START | frozenset("′″﹚﹜〙")
NO_END = MODEL_NO_END | frozenset("£¥〘")

# GB 5.1.4/5.1.5, clreq #prohibition_rules_for_unbreakable_marks: the two
# halves of —— and …… never split (and are never stretched apart).
UNSPLITTABLE_PAIRS = frozenset("—…⋯")

# Marks whose blank half is on the right in GB (mainland) fonts: 点号 sit
# lower-left or left, closing marks sit in the left half (GB 5.1; clreq).
CLOSING = frozenset("。，、．；：？！”’）》〉】〕〗」』］｝")
# Opening marks sit in the right half; their blank half is on the left.
OPENING = frozenset("“‘（《〈【〔〖「『［｛")
# 开明式 keeps sentence-end marks full width (xeCJK KaiMingPunct; clreq #278, #592).
SENTENCE_END = frozenset("。．？！")

ASCII_SPACE = " "


def is_ideograph(ch: str) -> bool:
    """A Han character (or 〇): takes ¼ em from adjacent Latin letters and digits."""
    o = ord(ch)
    return (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x3134F
            or 0xF900 <= o <= 0xFAFF or o == 0x3007)
