"""A deterministic synthetic edition: N broadsheet pages of invented news copy.

    python -m bench.synth PAGES OUT_DIR      # writes OUT_DIR/synth-PAGES/

About 6,500 characters per page in 5–7 articles (kicker, headline, subhead,
byline, section subheads), with realistic punctuation, digits and Latin words.
Every page is placed automatically. (The speed issue asks for about 8,000: a
9 pt broadsheet page of this grid — 6 columns × 17 characters × 102 lines,
10,404 cells less masthead or folio, decks, subheads and paragraph ends — does
not take that with automatic placement: budgets giving 7,500 characters a
page left 7 of 16 pages overset, checked 2026-11-28.)
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

from bench.newscopy import paragraph

HEADS = ["全市", "今年", "新", "持续", "加快", "推进", "深化", "提升", "打造", "建设"]
TOPICS = ["城市更新", "乡村振兴", "科技创新", "港口物流", "文化旅游", "教育医疗", "生态环境", "数字经济",
          "交通网络", "民生保障", "新能源产业", "现代农业"]
SECTIONS = ["要闻", "要闻", "经济", "城市", "文化", "社会", "国际", "体育"]


def article(rng: random.Random, chars: int) -> str:
    head = rng.choice(HEADS) + rng.choice(TOPICS) + rng.choice(["取得新进展", "迈出新步伐", "跑出加速度", "按下快进键"])
    front = ["---", f"headline: {head}"]
    if rng.random() < 0.6:
        front.append(f"kicker: {rng.choice(TOPICS)}工作{rng.choice(['稳步推进', '成效明显', '全面铺开'])}")
    if rng.random() < 0.4:
        front.append(f"subhead: ——{rng.choice(TOPICS)}{rng.choice(['再上新台阶', '惠及更多群众'])}")
    front.append(f"byline: 本报记者 {rng.choice('张王李赵陈刘杨黄周吴')}{rng.choice('明华丽强军敏静磊洋艳')}")
    front.append("---")
    body, n = [], 0
    while n < chars:
        if body and rng.random() < 0.12:
            body.append(f"## {rng.choice(TOPICS)}{rng.choice(['见闻', '观察', '一线'])}")
        p = paragraph(rng, rng.randint(90, 260))
        body.append(p)
        n += len(p)
    return "\n".join(front) + "\n" + "\n\n".join(body) + "\n"


def write_edition(pages: int, out: Path, seed: int = 2026) -> Path:
    rng = random.Random(seed + pages)
    folder = out / f"synth-{pages}"
    (folder / "articles").mkdir(parents=True, exist_ok=True)
    lines = ["paper: {name: 示例日报, publisher: 示例日报社, serial: CN 00-0000}", "date: 2026-11-28",
             "issue: 1", "template: broadsheet", "pages:"]
    for p in range(1, pages + 1):
        lines += [f"  - number: {p}", f"    section: {SECTIONS[(p - 1) % len(SECTIONS)]}", "    articles:"]
        count = rng.randint(5, 7)
        budget = 5000 if p == 1 else 6000   # what automatic placement reliably fits on a 9 pt broadsheet page
        shares = [rng.uniform(0.6, 1.4) for _ in range(count)]
        shares[0] *= 1.8
        total = sum(shares)
        for a in range(count):
            name = f"p{p:02d}a{a + 1}"
            (folder / "articles" / f"{name}.md").write_text(article(rng, int(budget * shares[a] / total)),
                                                            encoding="utf-8")
            rank = "lead" if a == 0 else ("major" if a == 1 else "normal")
            lines += [f"      - source: articles/{name}.md", f"        rank: {rank}"]
    (folder / "edition.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


if __name__ == "__main__":
    print(write_edition(int(sys.argv[1]), Path(sys.argv[2])))
