"""Measure ``import_sheet enterprises`` (issue 10: 10 000 rows ≤ 5 s and 50 000 rows ≤ 20 s, full validation).

Without ``--rows`` both sizes are measured, one after the other. Generates N realistic enterprise rows
into an xlsx in a temporary directory, imports it into the current
database inside a transaction that is rolled back at the end (nothing stays), and prints rows per second.
With ``--update`` a second pass re-imports the same rows with changed figures (the update path).

The import is timed as it runs in production, without DEBUG's SQL log even when ``DJANGO_DEBUG=1``: that log
quotes every parameter of every statement once more (``last_executed_query``; about half a million for 10 000
rows), which added a tenth to the time measured and is not part of an import.
"""

import random
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from crm.choices import BureauLevel
from crm.models import Bureau, Enterprise, IndustryChain, Qualification, Region, User
from crm.sheets.imports import sheet_import
from crm.validators import CREDIT_CODE_ALPHABET, credit_code_check_char

HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "所属区县",
    "所属产业链",
    "企业资质",
    "从业人数",
    "研发人员数",
    "上年营业收入(万元)",
    "上年研发投入(万元)",
    "成立日期",
    "法定代表人",
    "地址",
    "主要产品",
    "挂钩联系企业",
    "挂钩帮办企业",
    "挂钩联系人",
    "党组织",
    "党员人数",
    "经营状态",
]
WORDS = "清源 恒瑞 博远 华新 金润 盛达 天成 嘉禾 永信 宏图 瑞丰 鼎盛 新锐 中润 弘业 汇通 锦程 安泰 诚达 卓越".split()
TRADES = "食品科技 电子材料 新能源 汽车零部件 生物医药 精密机械 纤维材料 化工新材料 智能装备 信息技术".split()
SURNAMES = "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 朱 马 胡".split()
GIVEN = "伟 芳 娜 敏 静 强 磊 军 洋 勇 艳 杰 涛 明 超".split()
ROADS = "淮海路 健康路 北京路 解放路 翔宇大道 深圳路 枚乘路 承德路".split()
PARTY = ["无", "党支部", "党总支", "党委"]
TARGETS = {10_000: 5.0, 50_000: 20.0}  # rows → seconds (issue 10)


def _credit_code(rng: random.Random, region: str, seen: set) -> str:
    alphabet = CREDIT_CODE_ALPHABET
    while True:
        body = "91" + region[:6] + "".join(rng.choice(alphabet) for _ in range(9))
        code = body + credit_code_check_char(body)
        if code not in seen:
            seen.add(code)
            return code


class Command(BaseCommand):
    help = "Benchmark the enterprise import: N generated xlsx rows, imported and rolled back; prints rows/s."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, help="One size only; by default 10 000 and then 50 000 rows.")
        parser.add_argument("--seed", type=int, default=20260301)
        parser.add_argument("--update", action="store_true", help="Also time re-importing the rows as updates.")
        parser.add_argument("--keep-file", action="store_true", help="Keep the generated xlsx and print its path.")

    def handle(self, *args, **options):
        sizes = [options["rows"]] if options["rows"] is not None else list(TARGETS)
        for rows in sizes:
            if rows < 1 or rows > 50_000:
                raise CommandError("--rows must be between 1 and 50000.")
        for rows in sizes:
            directory = Path(tempfile.mkdtemp(prefix="crm-bench-"))
            try:
                with transaction.atomic():
                    self._run(options["seed"], rows, directory, options)
                    transaction.set_rollback(True)  # nothing of the benchmark stays in the database
            finally:
                if not options["keep_file"]:
                    for path in directory.iterdir():
                        path.unlink()
                    directory.rmdir()

    def _reference(self):
        """The reference data the rows name; created inside the rolled-back transaction when missing."""
        if not Region.objects.filter(code__startswith="3208").exists():
            names = {"320812": "清江浦区", "320831": "金湖县", "320803": "淮安区", "320804": "淮阴区"}
            for code, name in names.items():
                Region.objects.get_or_create(code=code, defaults={"name": name})
        if not IndustryChain.objects.exists():
            for code, name in [("green-food", "绿色食品"), ("nev", "新能源汽车及零部件"), ("pcb", "PCB电子元器件")]:
                IndustryChain.objects.create(code=code, name=name)
        if not Qualification.objects.exists():
            for code, name in [("hnte", "高新技术企业"), ("tsme", "科技型中小企业"), ("srdi", "专精特新中小企业")]:
                Qualification.objects.create(code=code, name=name)
        user = User.objects.filter(is_superuser=True).first()
        if user is None:
            region = Region.objects.filter(code__startswith="3208").first()
            bureau = Bureau.objects.filter(level=BureauLevel.CITY).first() or Bureau.objects.create(
                name="基准测试市科技局", level=BureauLevel.CITY, region=region
            )
            user = User.objects.create(username="benchmark-import", name="基准测试", bureau=bureau, is_superuser=True)
        regions = list(Region.objects.filter(code__regex=r"^\d{6}$"))
        return regions, list(IndustryChain.objects.all()), list(Qualification.objects.all()), user

    def _workbook(self, seed, count, regions, chains, quals, officers, path, seen: set, factor=1):
        """Write the rows; names and codes come from ``seed`` alone, so a second file with another
        ``factor`` names the same enterprises with other figures (every row an update)."""
        from openpyxl import Workbook

        ids, rng = random.Random(seed), random.Random(seed + factor)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("企业台账")
        sheet.append(HEADERS)
        names: set = set()
        for i in range(count):
            region = ids.choice(regions)
            name = f"淮安{ids.choice(WORDS)}{ids.choice(TRADES)}有限公司"
            if name in names:
                name = name.replace("有限公司", f"第{i}分公司")
            names.add(name)
            code = _credit_code(ids, region.code, seen)
            employees = rng.randint(5, 3000) * factor
            revenue = Decimal(rng.randint(100, 5_000_000)) / 100 * factor
            established = date(1995, 1, 1) + timedelta(days=rng.randint(0, 10_000))
            sheet.append(
                [
                    name,
                    code,
                    region.name if i % 3 else region.code,
                    rng.choice(chains).name if chains else "",
                    "、".join(q.name for q in rng.sample(quals, k=rng.randint(0, min(3, len(quals))))),
                    f"{employees:,}" if i % 4 == 0 else employees,
                    rng.randint(0, max(1, employees // 5)),
                    float(revenue),
                    float((revenue * Decimal("0.04")).quantize(Decimal("0.01"))),
                    established if i % 2 else established.strftime("%Y/%-m/%-d"),
                    rng.choice(SURNAMES) + rng.choice(GIVEN),
                    f"淮安市{region.name}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
                    f"{rng.choice(TRADES)}产品",
                    "是" if rng.random() < 0.1 else "否",
                    "是" if rng.random() < 0.02 else "否",
                    rng.choice(officers) if officers and rng.random() < 0.1 else "",
                    rng.choice(PARTY),
                    rng.randint(0, 50),
                    "正常经营",
                ]
            )
        workbook.save(path)

    def _run(self, seed, count, directory, options):
        regions, chains, quals, user = self._reference()
        officers = list(User.objects.values_list("username", flat=True)[:20])
        existing = set(Enterprise.objects.values_list("credit_code", flat=True))
        path = directory / f"enterprises-{count}.xlsx"
        self._workbook(seed, count, regions, chains, quals, officers, path, seen=set(existing))
        if options["keep_file"]:
            self.stdout.write(f"file: {path}")
        self._time(path, user, count, "create")
        if options["update"]:
            path = directory / f"enterprises-{count}-update.xlsx"
            self._workbook(seed, count, regions, chains, quals, officers, path, seen=set(existing), factor=2)
            self._time(path, user, count, "update")

    def _time(self, path, user, count, label):
        data = path.read_bytes()
        self.stdout.write(f"{label}: {count} enterprise rows, {len(data) / 1024 / 1024:.1f} MB xlsx")
        started, cpu = time.perf_counter(), time.process_time()
        with override_settings(DEBUG=False):  # no SQL log, as in production (see the module's docstring)
            outcome = sheet_import(kind="enterprises", data=data, user=user)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if not outcome.ok:
            for problem in outcome.problems[:20]:
                self.stderr.write(problem.as_line())
            raise CommandError("The generated file did not import; see the problems above.")
        self.stdout.write(
            f"{label}: {outcome.created} created, {outcome.updated} updated, {outcome.unchanged} unchanged "
            f"in {seconds:.2f} s = {count / seconds:,.0f} rows/s (CPU {cpu:.2f} s; {self._target(count)})"
        )

    @staticmethod
    def _target(count: int) -> str:
        if count in TARGETS:
            return f"target: {count} rows in ≤ {TARGETS[count]:.0f} s"
        return "targets: 10000 rows in ≤ 5 s, 50000 in ≤ 20 s"
