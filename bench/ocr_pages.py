# ruff: noqa: RUF001  (the Chinese texts use full-width punctuation on purpose)
"""Test pages for the OCR benchmark (bench/ocr.py): deterministic A4 pages at 300 dpi.

Each page is rendered with Pillow from a known text in a real TTF/OTF font from a Debian
package, so the ground truth is the text itself. The "photo" pages are the same printed pages
put through a fixed, seeded degradation: perspective, a ~4 degree rotation on a desk-coloured
background, downscaling to ~1500 px wide, an uneven lighting gradient, blur, noise and JPEG
quality 70.

Fonts (Debian 12 packages): fonts-liberation (Liberation Serif, Times metrics) for English,
fonts-noto-cjk (Noto Serif CJK SC, Noto Sans CJK SC) for Chinese and mixed text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

DPI = 300
A4 = (2480, 3508)  # 210 x 297 mm at 300 dpi
MARGIN = 300  # 1 inch
SEED = 20240607

LIBERATION_SERIF = "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf"
NOTO_SERIF_CJK = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
NOTO_SANS_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CJK_SC_INDEX = 2  # the "SC" (Simplified Chinese) face inside the Noto CJK collections

ENGLISH = """\
The town of Aldbridge grew up where an old road crossed a slow brown river, and for most of \
its history the bridge mattered more than anything built beside it. Farmers brought wool and \
barley across it on market days, and the toll keeper, who lived in a narrow stone house at the \
northern end, recorded every cart in a ledger that still survives in the county archive. The \
entries are short and practical. They note the weather, the price of salt, the names of drovers \
who owed money, and once, in a careful hand, the arrival of a travelling clockmaker who stayed \
for three weeks and repaired every clock in the parish.
When the railway arrived in the spring of 1862, the bridge lost much of its importance almost \
overnight. Goods that had moved slowly along the river road now travelled to the coast in a few \
hours, and the market square, once crowded from dawn until late afternoon, grew quiet by noon. \
Some families left for the mills in the north. Others stayed and adapted, opening small \
workshops that made brushes, baskets and wooden toys, which were packed into crates and sent \
away on the morning train.
The library was founded twenty years later by a retired schoolteacher named Margaret Hale, who \
believed that a town without books would slowly forget how to argue with itself. She began with \
four hundred volumes donated by neighbours, arranged on shelves in the back room of the post \
office. Borrowers signed their names in a green register, and the rules, printed on a card \
beside the door, asked only that books be returned within a fortnight and kept away from \
candles, dogs and small children.
Today the register fills eleven volumes, and the collection has moved twice, first to the old \
corn exchange and then to a modern building near the station. The rules are longer now, but \
visitors still ask to see the first page of the green register, where the earliest borrowers \
wrote down their names, their streets and the titles they hoped to read next winter. Opening \
hours are 9:30 to 17:00 on weekdays; on Saturdays the doors close at 13:00.
Last year the library lent 41,250 items and answered 3,180 questions by letter, telephone and \
email. Most questions concern family history: a grandmother's maiden name, the date a shop \
opened, or the exact spot where a mill once stood beside the water."""

CHINESE = """\
清晨的小城总是从菜市场开始醒来。天还没有完全亮，卖豆浆的老人已经把炉子点着了，蒸笼里冒出的\
白气在路灯下慢慢散开。附近的居民提着布袋走过来，一边挑选新鲜的青菜和鸡蛋，一边交换昨天听到的消息。
城东有一座建于上世纪五十年代的图书馆，红砖墙上爬满了常春藤。馆里的藏书并不算多，但是每一本都被\
认真地编号和登记。管理员王老师在这里工作了三十多年，她记得许多读者的名字，也记得他们喜欢什么样的\
书。有人喜欢历史，有人只看小说，还有一些孩子每个周末都来借阅关于天文和动物的图画书。
近几年，图书馆开始把旧报纸和手写档案扫描成电子文件。这项工作看起来简单，实际上却非常繁琐。纸张已\
经发黄变脆，有些字迹被水渍模糊，扫描之后还需要逐页校对，才能保证检索时不会出现错误。志愿者们分成\
几个小组，每天下午轮流工作，把整理好的资料上传到共享的数据库里。
王老师常说，保存记忆和修建道路一样重要。道路让人们走向远方，而记忆让人们知道自己从哪里来。每当有\
人在数据库里找到祖父当年写给家里的一封信，或者一张早已被遗忘的老照片，她都会觉得这些年的辛苦是值得的。
今年秋天，图书馆还准备举办一次小型展览，展出一百多件与城市变迁有关的文物和照片，欢迎市民带着家人\
一起参观，并把自己的故事写在留言簿上。
在志愿者中，有一位退休的铁路工程师，他对城市的老地图特别感兴趣。他把不同年代的地图叠在一起比较，\
发现河道曾经向北移动过两次，旧码头的位置如今已经变成了一片公园。他把这些发现整理成一本小册子，\
免费放在服务台供读者取阅。
图书馆的开放时间是每天上午九点到下午五点，周一闭馆。借书需要携带身份证，每人每次最多可以借五本\
书，借期为三十天。
傍晚时分，阅览室里的灯一盏一盏亮起来。窗外的街道渐渐安静，只剩下自行车铃声和远处火车经过的声音。"""

MIXED = """\
检索增强生成（Retrieval-Augmented Generation，简称 RAG）是一种把搜索和语言模型结合起来的方法。\
系统先把文档切分成较小的片段，再用 embedding 模型把每个片段转换成向量，保存在向量数据库中。\
用户提问时，系统找出最相关的几个片段，把它们连同问题一起交给 LLM 生成回答。
在实际部署中，我们通常把服务打包成 Docker 镜像，并通过 HTTP API 对外提供接口。对于扫描件和手机\
照片，需要先进行 OCR 文字识别，然后才能建立索引。Optical character recognition quality matters: \
a single wrong digit in an invoice number can make a document impossible to find.
评估时我们使用字符准确率，即 1 减去字符错误率（CER）。测试页面包括英文印刷体、中文印刷体以及倾斜\
拍摄的照片，每一页都记录识别时间和内存占用。版本 2.1 于 2024 年 6 月发布，\
支持 PDF、PNG 和 JPEG 格式。"""


@dataclass(frozen=True)
class Page:
    """A test page: its name, the language rule used to score it, and its ground truth."""

    name: str
    script: str  # "latin" (whitespace collapsed) or "cjk" (whitespace removed) when scoring
    languages: str  # the tesseract languages that fit this page
    text: str
    path: Path


def _tokens(text: str) -> list[str]:
    """Breakable units: a Latin word with its trailing spaces, or one CJK character."""
    return re.findall(r"[^\s\u3000-\u9fff\uff00-\uffef]+\s*|\s+|.", text)


def _wrap(paragraph: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy line breaking by rendered width (no hyphenation)."""
    lines: list[str] = []
    line = ""
    for token in _tokens(paragraph):
        if line and font.getlength((line + token).rstrip()) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def render(text: str, font_path: str, size_pt: float, index: int = 0) -> Image.Image:
    """A white A4 page at 300 dpi with `text` set in black, paragraphs spaced apart."""
    size_px = round(size_pt * DPI / 72)
    font = ImageFont.truetype(font_path, size_px, index=index)
    page = Image.new("L", A4, 255)
    draw = ImageDraw.Draw(page)
    y = MARGIN
    for paragraph in text.split("\n"):
        for line in _wrap(paragraph, font, A4[0] - 2 * MARGIN):
            draw.text((MARGIN, y), line, font=font, fill=0)
            y += round(size_px * 1.45)
        y += round(size_px * 0.6)
    assert y < A4[1] - MARGIN / 2, "text does not fit on the page"
    return page


def _perspective_coeffs(
    src: Sequence[tuple[float, float]], dst: Sequence[tuple[float, float]]
) -> list[float]:
    """Coefficients for Image.transform(PERSPECTIVE) mapping output points `dst` to input `src`."""
    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return list(np.linalg.solve(np.array(rows, float), np.array(src, float).reshape(8)))


def photograph(page: Image.Image, out: Path) -> None:
    """A phone-photo-like copy of `page`: skewed, downscaled, unevenly lit, blurred, noisy, JPEG."""
    rng = np.random.default_rng(SEED)
    w, h = page.size
    desk = 120
    canvas = Image.new("L", (w + 400, h + 400), desk)
    canvas.paste(page, (200, 200))
    cw, ch = canvas.size
    # The camera a little closer to the top edge: the top is wider than the bottom.
    corners = [(0, 0), (cw, 0), (cw, ch), (0, ch)]
    seen = [(-60, -20), (cw + 60, -20), (cw - 40, ch + 30), (40, ch + 30)]
    canvas = canvas.transform(
        canvas.size,
        Image.Transform.PERSPECTIVE,
        _perspective_coeffs(corners, seen),
        Image.Resampling.BICUBIC,
        fillcolor=desk,
    )
    canvas = canvas.rotate(4.0, Image.Resampling.BICUBIC, expand=False, fillcolor=desk)
    small = canvas.resize((1500, round(1500 * ch / cw)), Image.Resampling.LANCZOS)
    small = small.filter(ImageFilter.GaussianBlur(0.8))
    pixels = np.asarray(small, np.float32)
    yy, xx = np.mgrid[0 : pixels.shape[0], 0 : pixels.shape[1]]
    light = 1.0 - 0.35 * (xx / pixels.shape[1]) * (0.4 + 0.6 * yy / pixels.shape[0])
    pixels = pixels * light + rng.normal(0, 6, pixels.shape)
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert("RGB")
    photo.save(out, "JPEG", quality=70)


def build(folder: Path) -> list[Page]:
    """Render every test page into `folder`; return the pages with their ground truth."""
    folder.mkdir(parents=True, exist_ok=True)
    english = render(ENGLISH, LIBERATION_SERIF, 12)
    chinese = render(CHINESE, NOTO_SERIF_CJK, 12, CJK_SC_INDEX)
    mixed = render(MIXED, NOTO_SANS_CJK, 12, CJK_SC_INDEX)
    english.save(folder / "en_print.png", dpi=(DPI, DPI))
    chinese.save(folder / "zh_print.png", dpi=(DPI, DPI))
    photograph(english, folder / "en_photo.jpg")
    photograph(mixed, folder / "mixed_photo.jpg")
    return [
        Page("en_print", "latin", "eng", ENGLISH, folder / "en_print.png"),
        Page("zh_print", "cjk", "chi_sim", CHINESE, folder / "zh_print.png"),
        Page("en_photo", "latin", "eng", ENGLISH, folder / "en_photo.jpg"),
        Page("mixed_photo", "cjk", "chi_sim+eng", MIXED, folder / "mixed_photo.jpg"),
    ]
