"""Deterministic synthetic news copy for benchmarks (invented text)."""
from __future__ import annotations

import random

WORDS = ("记者 今天 获悉 全市 推进 建设 工作 发展 经济 社会 群众 服务 企业 项目 改革 创新 城市 乡村 "
         "提高 保障 加强 完善 落实 政策 部门 负责人 表示 介绍 目前 已经 计划 预计 同比 增长 下降 "
         "数据 显示 方面 重点 领域 进一步 持续 稳定 质量 效率 安全 环境 生态 文化 教育 医疗 交通 "
         "科技 产业 市场 消费 投资 就业 收入 居民 社区 街道 农村 农业 粮食 能源 新能源 汽车 港口").split()
LATIN = ["Python", "AI", "5G", "App", "RCEP", "GDP", "TEU", "CPI", "USB", "Wi-Fi"]
OPEN_CLOSE = [("“", "”"), ("《", "》"), ("（", "）")]


def paragraph(rng: random.Random, target: int) -> str:
    out: list[str] = []
    n = 0
    while n < target:
        r = rng.random()
        if r < 0.06:
            unit = rng.choice(["%", "万", "亿元", "个", "年"])
            piece = f"{rng.randint(1, 9999)}{rng.choice(['', '.5', ',000'])}{unit}"
        elif r < 0.09:
            piece = rng.choice(LATIN)
        elif r < 0.13:
            o, c = rng.choice(OPEN_CLOSE)
            piece = o + "".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))) + c
        elif r < 0.15:
            piece = rng.choice(["——", "……"])
        else:
            piece = rng.choice(WORDS)
        out.append(piece)
        n += len(piece)
        if rng.random() < 0.12:
            out.append(rng.choice("，，，、；："))
            n += 1
        if rng.random() < 0.05:
            out.append("。")
            n += 1
    return "".join(out) + "。"


def news_copy(chars: int, seed: int = 2026) -> list[str]:
    """Paragraphs of roughly 80–300 characters adding up to `chars`."""
    rng = random.Random(seed)
    paras, total = [], 0
    while total < chars:
        p = paragraph(rng, rng.randint(80, 300))
        paras.append(p)
        total += len(p)
    return paras
