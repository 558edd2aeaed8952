"""Deterministic report content: the real seed report plus realistic synthetic ones.

Everything is drawn from `random.Random` instances seeded with fixed strings, so
two sites built with the same arguments hold the same reports on every run.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from importlib import resources

from .model import SECTION, FixtureReport

SEED_TITLE = "关于开展扫黑除恶“打伞破网”工作情况的报告"
SEED_PUBLISHED = "2022-12-02"
SEED_SOURCE = "县监察委员会"
SEED_CREDITS = {
    "contributor": "县监察委员会",
    "editor": "易钊颉",
    "reviewer": "鲁    超",
    "approver": "罗    亮",
}
OTHER_SECTION_SIZE = 12

_WS = re.compile(r"\s+")


def clean_line(line: str) -> str:
    """Trim (incl. U+3000 / U+00A0) and collapse whitespace runs, as the truth for text is written."""
    return _WS.sub(" ", line).strip()


def seed_report(slug: str = "seed") -> FixtureReport:
    """The one real report of the section, its body taken from data/seed-report.txt."""
    text = resources.files("fixturesite").joinpath("data/seed-report.txt").read_text(encoding="utf-8")
    lines = [clean_line(line) for line in text.splitlines()]
    start = lines.index("安岳县监察委员会")
    paragraphs: list[str] = []
    for line in lines[start:]:
        if line.startswith("供稿") or line.startswith("相关附件"):
            break
        if line:
            paragraphs.append(line)
    return FixtureReport(
        slug=slug,
        title=SEED_TITLE,
        published=SEED_PUBLISHED,
        source=SEED_SOURCE,
        paragraphs=paragraphs,
        credits=dict(SEED_CREDITS),
        attachments=[],
        section=SECTION,
    )


# --- pools -----------------------------------------------------------------------------------------------

TOPICS = (
    "农村饮水安全",
    "城乡义务教育均衡发展",
    "生态环境保护",
    "优化营商环境",
    "乡村振兴",
    "退役军人服务保障",
    "耕地保护",
    "食品药品安全",
    "安岳柠檬产业发展",
    "文物保护利用",
    "城市生活垃圾分类",
    "安全生产",
    "根治欠薪",
    "养老服务体系建设",
    "国有资产管理",
    "地方政府债务管理",
)
LAWS = ("安全生产法", "食品安全法", "环境保护法", "义务教育法", "水法", "文物保护法", "道路交通安全法")
JDGZ_TITLES = (
    "关于{year}年度县本级预算执行和其他财政收支的审计工作报告",
    "关于{year}年国民经济和社会发展计划执行情况的报告",
    "关于{year}年上半年县本级预算执行情况的报告",
    "关于检查《中华人民共和国{law}》实施情况的报告",
    "县人民政府关于{topic}工作情况的报告",
    "关于{topic}工作情况的调研报告",
    "关于县人大常委会对{topic}工作审议意见研究处理情况的报告",
    "关于{year}年度国有资产管理情况的综合报告",
    "县人民政府关于{year}年度环境状况和环境保护目标完成情况的报告",
    "关于{topic}专项工作评议情况的报告",
)
NEWS_TITLES = {
    "工作动态": (
        "县人大常委会召开第{n}次主任会议",
        "县人大常委会组织开展{topic}专题调研",
        "县人大常委会党组召开理论学习中心组学习会",
        "县十七届人大常委会第{n}次会议召开",
        "县人大常委会视察{topic}工作",
    ),
    "代表工作": (
        "县人大代表深入{town}开展{topic}调研",
        "{town}人大主席团开展代表集中视察活动",
        "县人大常委会召开代表建议办理工作推进会",
        "关于县十七届人大{n}次会议代表建议办理情况的通报",
    ),
    "法制建设": (
        "《中华人民共和国{law}》宣传进社区活动开展",
        "县人大常委会开展《中华人民共和国{law}》执法检查",
        "县人大常委会召开规范性文件备案审查工作会",
        "“八五”普法中期评估座谈会召开",
    ),
    "通知公告": (
        "安岳县第十七届人民代表大会常务委员会公告（第{n}号）",
        "关于征集{year}年县人大常委会监督议题的公告",
        "县人大常委会办公室关于{topic}征求意见的通知",
    ),
}
TOWNS = ("岳阳镇", "石桥铺镇", "周礼镇", "龙台镇", "李家镇", "兴隆镇", "通贤镇", "姚市镇", "文化镇", "鸳大镇")
ORGS = {
    "县审计局": "局长",
    "县财政局": "局长",
    "县人民政府": "副县长",
    "县监察委员会": "主任",
    "县发展和改革局": "局长",
    "县生态环境局": "局长",
    "县人大常委会财经工委": "主任",
}
SOURCES = (
    "县审计局",
    "县人大常委会办公室",
    "县监察委员会",
    "县财政局",
    "县人大常委会财经工委",
    "县发展和改革局",
)
PEOPLE = ("张伟", "李红梅", "王建国", "刘思远", "陈晓东", "杨帆", "赵丽娟", "周佳怡", "黄志强")
EDITORS = ("易钊颉", "周佳怡", "张    敏", "刘    洋", "何晓燕")
REVIEWERS = ("鲁    超", "王    红", "陈    静", "李建华")
APPROVERS = ("罗    亮", "杨    军", "唐志刚")
OPENERS = (
    "主任、副主任、秘书长，各位委员：",
    "安岳县人大常委会：",
    "受县人民政府委托，现将{topic}工作情况报告如下，请予审议。",
)
SENTENCES = (
    "县委、县政府高度重视{topic}工作，将其纳入年度重点目标任务统筹推进。",
    "全年共完成相关项目{n}个，涉及资金{m}万元，同比增长{pct}%。",
    "坚持问题导向，组织开展专项检查{n}次，发现并督促整改问题{k}个。",
    "建立健全工作台账，实行清单化管理、项目化推进、销号式落实。",
    "各镇（街道）和县级有关部门密切配合，形成了上下联动、齐抓共管的工作格局。",
    "截至{year}年底，累计投入资金{m}万元，惠及群众{n}万余人。",
    "部分项目推进缓慢，资金使用效益有待进一步提高。",
    "基层专业人才不足，监管能力与工作任务要求还不完全适应。",
    "个别单位对政策理解不到位，执行中存在打折扣、搞变通的情况。",
    "下一步，将进一步压实工作责任，强化督促检查，确保各项任务落地见效。",
    "认真落实县人大常委会审议意见，定期报告整改进展情况，主动接受监督。",
    "通过“四不两直”方式开展暗访{k}次，对发现的问题实行挂牌督办。",
    "审计发现的{k}个问题已整改{k2}个，整改率达{pct}%，其余问题正在整改中。",
    "常委会组成人员和部分县人大代表参加了调研，实地查看了{town}等地的项目现场。",
)
NEWS_SENTENCES = (
    "{date}，县人大常委会主任{person}带队，深入{town}调研{topic}工作。",
    "调研组一行先后实地查看了相关项目现场，听取了有关情况汇报。",
    "会议强调，要坚持以人民为中心的发展思想，扎实推动{topic}工作取得新成效。",
    "与会人员围绕{topic}进行了深入交流，提出了{n}条意见建议。",
    "会议审议并原则通过了相关事项，县人大常委会副主任{person}出席会议。",
    "此次活动共有{n}名县人大代表参加，收集群众意见建议{k}条。",
    "下一步，县人大常委会将持续跟踪监督，推动问题整改落实到位。",
)
SECTION_HEADS = (
    ("一、主要工作及成效", "二、存在的主要问题", "三、下一步工作打算"),
    ("一、基本情况", "二、存在的问题", "三、意见建议"),
    ("一、主要做法", "二、困难和问题", "三、下步工作考虑"),
)
GBK_TITLE = "关于对何昇、王镕等代表所提建议办理情况开展专项监督的报告"
BRACKET_TITLE = "县人大常委会关于《安岳县“十四五”规划纲要实施情况中期评估报告》的审议意见（草案）"
LONG_TITLE = "安岳县人大常委会执法检查组关于检查《中华人民共和国安全生产法》和《四川省安全生产条例》贯彻实施情况的报告"
ATTACHMENT_NAMES = ("整改情况统计表", "问题清单", "审计报告全文", "调研报告", "资金使用情况表", "审议意见")


# --- builders --------------------------------------------------------------------------------------------


def _fill(rng: random.Random, template: str, published: date, topic: str) -> str:
    n = rng.randint(3, 60)
    k = rng.randint(5, 40)
    return template.format(
        topic=topic,
        year=published.year - 1,
        law=rng.choice(LAWS),
        n=n,
        k=k,
        k2=rng.randint(1, k),
        m=rng.randint(120, 98000),
        pct=rng.randint(3, 99),
        town=rng.choice(TOWNS),
        person=rng.choice(PEOPLE),
        date=f"{published.month}月{published.day}日",
    )


def _credits(rng: random.Random, source: str | None, partial: bool) -> dict[str, str]:
    credits = {
        "contributor": source or rng.choice(SOURCES),
        "editor": rng.choice(EDITORS),
        "reviewer": rng.choice(REVIEWERS),
        "approver": rng.choice(APPROVERS),
    }
    if partial:
        keep = rng.choice((("editor", "reviewer"), ("contributor", "editor"), ("editor",)))
        credits = {k: v for k, v in credits.items() if k in keep}
    return credits


def _attachments(rng: random.Random, published: date, topic: str) -> list[tuple[str, str]]:
    out = []
    for i, kind in enumerate(rng.sample(ATTACHMENT_NAMES, rng.randint(1, 3)), start=1):
        ext = rng.choice(("pdf", "doc", "xlsx"))
        stem = f"{topic}{kind}"
        name = f"附件{i}：{stem}" if rng.random() < 0.5 else f"{stem}.{ext}"
        stamp = f"{published:%Y%m%d}{rng.randint(80000, 175959):06d}{i}"
        out.append((name, f"/uploads/{published.year}/{stamp}.{ext}"))
    return out


def _jdgz_body(rng: random.Random, title: str, published: date, topic: str, source: str | None) -> list[str]:
    org = source if source in ORGS else rng.choice(list(ORGS))
    paras: list[str] = []
    if rng.random() < 0.5:
        paras += [f"安岳{org}", title]
    if rng.random() < 0.6:
        meeting = published - timedelta(days=rng.randint(5, 60))
        paras.append(
            f"{meeting.year}年{meeting.month}月{meeting.day}日在安岳县第十七届人民代表大会"
            f"常务委员会第{rng.randint(3, 30)}次会议上"
        )
        paras.append(f"{org}{ORGS[org]} {rng.choice(PEOPLE)}")
    paras.append(_fill(rng, rng.choice(OPENERS), published, topic))
    heads = rng.choice(SECTION_HEADS)
    budget = rng.randint(4, 12) - len(paras)
    per_head = max(0, (budget - 1) // 3 - 1)
    for head in heads:
        if len(paras) >= 11:
            break
        paras.append(head)
        for _ in range(per_head):
            picks = rng.sample(SENTENCES, rng.randint(2, 4))
            paras.append("".join(_fill(rng, s, published, topic) for s in picks))
    if len(paras) < 12 and rng.random() < 0.6:
        paras.append("以上报告，请予审议。")
    while len(paras) < 4:
        paras.append(_fill(rng, rng.choice(SENTENCES), published, topic))
    return paras[:12]


def _news_body(rng: random.Random, published: date, topic: str) -> list[str]:
    count = rng.randint(4, 8)
    picks = [rng.choice(NEWS_SENTENCES) for _ in range(count * 2)]
    return ["".join(_fill(rng, s, published, topic) for s in picks[i * 2 : i * 2 + 2]) for i in range(count)]


def synthetic_report(
    rng: random.Random,
    slug: str,
    section: str,
    published: date,
    kind: str = "plain",
    taken: set[str] | None = None,
) -> FixtureReport:
    """A realistic report of `section`; `kind` forces one of the awkward cases the crawler must survive.

    Titles in `taken` are avoided (and the new one added) so a title identifies a report.
    """
    templates = JDGZ_TITLES if section == SECTION else NEWS_TITLES.get(section, NEWS_TITLES["工作动态"])
    taken = set() if taken is None else taken
    for _ in range(50):
        topic = rng.choice(TOPICS)
        title = _fill(rng, rng.choice(templates), published, topic)
        if title not in taken:
            break
    if section == SECTION:
        source: str | None = rng.choice(SOURCES) if rng.random() > 0.15 else None
    else:
        source = rng.choice(("县人大常委会办公室", "县人大常委会研究室", None, "岳阳镇人大"))
    if kind == "gbk":
        title = GBK_TITLE
    elif kind == "brackets":
        title = BRACKET_TITLE
    elif kind == "long":
        title = LONG_TITLE
    elif kind == "nosource":
        source = None
    if section == SECTION:
        paragraphs = _jdgz_body(rng, title, published, topic, source)
    else:
        paragraphs = _news_body(rng, published, topic)
    credits = _credits(rng, source, partial=rng.random() < 0.25)
    if kind == "gbk":
        credits = {
            "contributor": "县人大常委会选举任免联络工作委员会",
            "editor": "陈    喆",
            "reviewer": "鲁    超",
        }
        paragraphs.insert(min(2, len(paragraphs)), "县人大代表张堃、何昇、王镕等对建议办理结果表示满意。")
    if kind == "brackets":
        paragraphs.insert(
            min(1, len(paragraphs)),
            "根据《安岳县人民代表大会常务委员会监督工作规定》（试行），常委会对“十四五”规划纲要实施情况进行了评估。",
        )
    taken.add(title)
    attachments = _attachments(rng, published, topic) if kind == "attachments" or rng.random() < 0.3 else []
    return FixtureReport(
        slug=slug,
        title=title,
        published=published.isoformat(),
        source=source,
        paragraphs=paragraphs[:12],
        credits=credits,
        attachments=attachments,
        section=section,
    )


# Awkward cases placed at fixed list positions (newest first) of the 监督工作 section, all on page 1.
JDGZ_KINDS = {0: "attachments", 1: "gbk", 2: "brackets", 3: "long", 4: "nosource"}


def _descending_dates(rng: random.Random, start: date, count: int, lo: int, hi: int) -> list[date]:
    out = []
    day = start
    for _ in range(count):
        day -= timedelta(days=rng.randint(lo, hi))
        out.append(day)
    return out


def build_sections(
    reports_per_section: int,
    section_names: list[str],
    dated_until: date | None = None,
    other_sections: int = OTHER_SECTION_SIZE,
) -> dict[str, list[FixtureReport]]:
    """All sections, newest first, with slugs r0001... numbered in publication order across the site.
    ``dated_until``: the 监督工作 section is a busy one instead, about three reports a day up to that
    day (a large section's ages as a provincial commission's are; the default dates are one a month
    around the seed report's, which for thousands of reports run centuries into the past and future).
    ``other_sections``: how many reports each other section holds."""
    rng = random.Random("ayrdw-fixture-20221202")
    taken = {SEED_TITLE, GBK_TITLE, BRACKET_TITLE, LONG_TITLE}
    drafts: dict[str, list[FixtureReport]] = {}
    n = max(0, reports_per_section)
    if n and dated_until is not None:
        days = [dated_until - timedelta(days=i // 3) for i in range(n)]
        drafts[SECTION] = [
            synthetic_report(rng, "", SECTION, day, JDGZ_KINDS.get(i, "plain"), taken) for i, day in enumerate(days)
        ]
    elif n:
        seed_day = date.fromisoformat(SEED_PUBLISHED)
        newer = (n - 1) // 2
        newer_dates = []
        day = seed_day
        for _ in range(newer):
            day += timedelta(days=rng.randint(9, 40))
            newer_dates.append(day)
        newer_dates.reverse()
        if len(newer_dates) > 6:
            newer_dates[6] = newer_dates[5]  # two reports published on the same day
        older_dates = _descending_dates(rng, seed_day, n - 1 - newer, 6, 45)
        items: list[FixtureReport] = []
        for i, day in enumerate(newer_dates):
            items.append(synthetic_report(rng, "", SECTION, day, JDGZ_KINDS.get(i, "plain"), taken))
        items.append(seed_report(""))
        for day in older_dates:
            items.append(synthetic_report(rng, "", SECTION, day, taken=taken))
        drafts[SECTION] = items
    for name in section_names:
        if name == SECTION:
            continue
        start = date(2024, 11, 20) - timedelta(days=rng.randint(0, 30))
        days = _descending_dates(rng, start, other_sections, 10, 70)
        drafts[name] = [synthetic_report(rng, "", name, d, taken=taken) for d in days]
    # Ids grow with publication as in a real CMS; on a tie the one listed higher (newer) gets the larger id.
    everything = [(r.published, -i, r) for items in drafts.values() for i, r in enumerate(items)]
    for seq, (_, _, report) in enumerate(sorted(everything, key=lambda t: t[:2]), start=1):
        report.slug = f"r{seq:04d}"
    return {name: drafts.get(name, []) for name in section_names}


def new_report(seq: int, section: str, published: date, **overrides: object) -> FixtureReport:
    """A fresh report for change scenarios; its content depends only on `seq`."""
    rng = random.Random(f"ayrdw-fixture-new-{seq}")
    report = synthetic_report(rng, f"r{seq:04d}", section, published, taken={SEED_TITLE})
    for key, value in overrides.items():
        if not hasattr(report, key):
            raise TypeError(f"FixtureReport has no field {key!r}")
        setattr(report, key, value)
    return report
