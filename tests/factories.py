"""factory_boy factories for the models of ``crm.models``.

Every factory's defaults pass ``full_clean()`` (tests/test_factories.py proves it). Required relations are
SubFactories that land on the shared reference rows the fixtures of tests/conftest.py use: the region
清江浦区 (320812), the city bureau 淮安市科技局 and its department 高新技术处, got or created by their keys, so
``NeedFactory()`` next to the ``city_bureau`` fixture adds a need, not a second bureau. Optional fields keep the
model's defaults (mostly empty): a test sets what it asserts on.
"""

import datetime as dt

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory, Password

from crm.choices import (
    ActivityKind,
    BureauLevel,
    CadencePeriod,
    CadenceRole,
    CadenceTier,
    NeedCategory,
    NeedEventKind,
    NotificationKind,
    OfferingKind,
    PolicyKind,
    PolicyLevel,
)
from crm.models import (
    ActionItem,
    Activity,
    ActivityParticipant,
    Bureau,
    CadenceRule,
    Contact,
    Department,
    Enterprise,
    EnterpriseQualification,
    Holiday,
    IndustryChain,
    Need,
    NeedEvent,
    Notification,
    Offering,
    Policy,
    PolicyMatch,
    Project,
    Qualification,
    Region,
    User,
    Visit,
    VisitPlan,
)
from crm.validators import credit_code_check_char

PASSWORD = "pw-123456"  # every user's password; the browser tests log in with it
REGIONS = {"320800": "淮安市", "320812": "清江浦区", "320831": "金湖县", "320803": "淮安区"}
CHAINS = {"green-food": "绿色食品", "nev": "新能源汽车及零部件", "pcb": "PCB电子元器件"}
QUALIFICATIONS = {"hnte": "高新技术企业", "tsme": "科技型中小企业", "srdi": "专精特新中小企业"}
# Credit-code seeds of the factory's own sequence: far above the small seeds tests pass to credit_code().
CREDIT_CODE_SEED = 700_000_000


def credit_code(seed: int, region: str = "320812") -> str:
    """A valid unified social credit code (crm/validators.py), different for each seed and region."""
    body = f"91{region}{seed:09d}"
    return body + credit_code_check_char(body)


def today() -> dt.date:
    return timezone.localdate()


# ------------------------------------------------------------------------------------------ reference data


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "320812"
    name = factory.LazyAttribute(lambda o: REGIONS.get(o.code, f"区域{o.code}"))


class IndustryChainFactory(DjangoModelFactory):
    class Meta:
        model = IndustryChain
        django_get_or_create = ("code",)

    code = "green-food"
    name = factory.LazyAttribute(lambda o: CHAINS.get(o.code, f"产业链{o.code}"))


class QualificationFactory(DjangoModelFactory):
    class Meta:
        model = Qualification
        django_get_or_create = ("code",)

    code = "hnte"
    name = factory.LazyAttribute(lambda o: QUALIFICATIONS.get(o.code, f"资质{o.code}"))


def reference_rows(factory_class: type[DjangoModelFactory], names: dict[str, str]) -> dict:
    """The reference rows ``{code: name}`` by code, creating the missing ones in one query (fixtures need many)."""
    model = factory_class._meta.model
    rows = model.objects.in_bulk(list(names))
    missing = [factory_class.build(code=code, name=name) for code, name in names.items() if code not in rows]
    rows.update({row.code: row for row in model.objects.bulk_create(missing)})
    return {code: rows[code] for code in names}


# -------------------------------------------------------------------------------------------- organisation


class BureauFactory(DjangoModelFactory):
    """A new bureau: the city bureau's fields by default; ``BureauFactory(county=True)`` is 金湖县科技局."""

    class Meta:
        model = Bureau

    class Params:
        county = factory.Trait(
            name="金湖县科技局",
            level=BureauLevel.COUNTY,
            region=factory.SubFactory(RegionFactory, code="320831"),
        )

    name = "淮安市科技局"
    level = BureauLevel.CITY
    region = factory.SubFactory(RegionFactory, code="320800")


class SharedBureauFactory(BureauFactory):
    """The bureau of that name, created only if it is not there yet: what relations default to."""

    class Meta:
        django_get_or_create = ("name",)


class DepartmentFactory(DjangoModelFactory):
    """A new department, 高新技术处 of the (shared) city bureau by default."""

    class Meta:
        model = Department

    bureau = factory.SubFactory(SharedBureauFactory)
    name = "高新技术处"


class SharedDepartmentFactory(DepartmentFactory):
    """The department of that name in that bureau, created only if it is not there yet."""

    class Meta:
        django_get_or_create = ("bureau", "name")


class UserFactory(DjangoModelFactory):
    """A user of the city bureau's department; ``roles=[Role.MANAGER]`` adds the role groups.

    The password is hashed with the first of ``settings.PASSWORD_HASHERS``: MD5 in tests (conftest.py).
    """

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:04d}")
    name = factory.SelfAttribute("username")
    password = Password(PASSWORD)
    bureau = factory.SubFactory(SharedBureauFactory)
    department = factory.Maybe(
        "bureau",
        yes_declaration=factory.SubFactory(SharedDepartmentFactory, bureau=factory.SelfAttribute("..bureau")),
        no_declaration=None,
    )

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """``roles=["officer"]`` (or one role as a string): add the user to those role groups."""
        if not create or not extracted:
            return
        names = [extracted] if isinstance(extracted, str) else extracted
        self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in names))


def make_user(username: str, role: str | None, bureau, department=None, **extra) -> User:
    """A user with at most one role (the signature hundreds of tests use); see ``UserFactory``."""
    return UserFactory(
        username=username, name=username, bureau=bureau, department=department, roles=[role] if role else [], **extra
    )


# -------------------------------------------------------------------------------------- enterprises, projects


class EnterpriseFactory(DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试企业{n:04d}有限公司")
    region = factory.SubFactory(RegionFactory)
    credit_code = factory.LazyAttributeSequence(lambda o, n: credit_code(CREDIT_CODE_SEED + n, o.region.code))


class EnterpriseQualificationFactory(DjangoModelFactory):
    class Meta:
        model = EnterpriseQualification

    enterprise = factory.SubFactory(EnterpriseFactory)
    qualification = factory.SubFactory(QualificationFactory)


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = factory.Sequence(lambda n: f"联系人{n:04d}")


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"测试项目{n:04d}")
    region = factory.SubFactory(RegionFactory)


# ------------------------------------------------------------------------------------------ visits and needs


class VisitFactory(DjangoModelFactory):
    class Meta:
        model = Visit

    enterprise = factory.SubFactory(EnterpriseFactory)
    visited_on = factory.LazyFunction(today)
    q_needs = "扩大产能需要用地"


class NeedFactory(DjangoModelFactory):
    class Meta:
        model = Need

    enterprise = factory.SubFactory(EnterpriseFactory)
    bureau = factory.SubFactory(SharedBureauFactory)
    category = NeedCategory.FUNDING
    title = factory.Sequence(lambda n: f"测试诉求{n:04d}")


class NeedEventFactory(DjangoModelFactory):
    class Meta:
        model = NeedEvent

    need = factory.SubFactory(NeedFactory)
    kind = NeedEventKind.NOTE
    text = "跟进记录"


class HolidayFactory(DjangoModelFactory):
    class Meta:
        model = Holiday
        django_get_or_create = ("date",)

    date = factory.Sequence(lambda n: dt.date(2030, 1, 1) + dt.timedelta(days=n))
    name = "节假日"


# ------------------------------------------------------------------------------------- policies and lists


class PolicyFactory(DjangoModelFactory):
    """``regions=``, ``industry_chains=``, ``required_qualifications=``: rows to set on the many-to-many fields."""

    class Meta:
        model = Policy
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"测试政策{n:04d}")
    issuer = "淮安市科技局"
    level = PolicyLevel.CITY
    kind = PolicyKind.FUNDING

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create and extracted:
            self.regions.set(extracted)

    @factory.post_generation
    def industry_chains(self, create, extracted, **kwargs):
        if create and extracted:
            self.industry_chains.set(extracted)

    @factory.post_generation
    def required_qualifications(self, create, extracted, **kwargs):
        if create and extracted:
            self.required_qualifications.set(extracted)


class PolicyMatchFactory(DjangoModelFactory):
    class Meta:
        model = PolicyMatch

    policy = factory.SubFactory(PolicyFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)


class OfferingFactory(DjangoModelFactory):
    class Meta:
        model = Offering

    department = factory.SubFactory(SharedDepartmentFactory)
    name = factory.Sequence(lambda n: f"资源{n:04d}")
    kind = OfferingKind.FUNDING_PROGRAMME


class ActionItemFactory(DjangoModelFactory):
    class Meta:
        model = ActionItem

    title = factory.Sequence(lambda n: f"行动{n:04d}")
    need = factory.SubFactory(NeedFactory)
    owner = factory.SubFactory(UserFactory)
    due_on = factory.LazyFunction(lambda: today() + dt.timedelta(days=7))


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = NotificationKind.NOTE
    text = factory.Sequence(lambda n: f"通知{n:04d}")


# ------------------------------------------------------------------------------ routine: cadence, plans, activities


class CadenceRuleFactory(DjangoModelFactory):
    class Meta:
        model = CadenceRule

    bureau = factory.SubFactory(SharedBureauFactory)
    tier = CadenceTier.LINKED
    role = CadenceRole.OFFICER
    period = CadencePeriod.MONTH
    min_visits = 1
    kinds = factory.LazyFunction(lambda: ["on_site", "meeting"])


class VisitPlanFactory(DjangoModelFactory):
    class Meta:
        model = VisitPlan

    enterprise = factory.SubFactory(EnterpriseFactory)
    planned_on = factory.LazyFunction(lambda: today() + dt.timedelta(days=3))
    purpose = "回访诉求办理情况"


class ActivityFactory(DjangoModelFactory):
    class Meta:
        model = Activity

    kind = ActivityKind.JOINT_RESEARCH
    title = factory.Sequence(lambda n: f"联合调研{n:04d}")
    held_on = factory.LazyFunction(today)
    bureau = factory.SubFactory(SharedBureauFactory)
    counts_as_visit = True


class ActivityParticipantFactory(DjangoModelFactory):
    class Meta:
        model = ActivityParticipant

    activity = factory.SubFactory(ActivityFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)


# ------------------------------------------------------------------------------------------- reports (§11.6)


class ReportFactory(DjangoModelFactory):
    """A report row without a file (the services write both); ``period`` runs through the months of 2020 on."""

    class Meta:
        model = "crm.Report"

    kind = "needs_ledger"
    period = factory.Sequence(lambda n: f"{2020 + n // 12}-{n % 12 + 1:02d}")
    bureau = factory.SubFactory(SharedBureauFactory)
    generated_at = factory.LazyFunction(timezone.now)
    snapshot = factory.LazyFunction(dict)


# ------------------------------------------------------------------------------------------ growth programmes


class EnterpriseYearFactory(DjangoModelFactory):
    class Meta:
        model = "crm.EnterpriseYear"

    enterprise = factory.SubFactory(EnterpriseFactory)
    year = 2025


class CultivationFactory(DjangoModelFactory):
    class Meta:
        model = "crm.Cultivation"

    enterprise = factory.SubFactory(EnterpriseFactory)
    year = 2026
    programme = factory.SubFactory(QualificationFactory)


class ProjectMilestoneFactory(DjangoModelFactory):
    class Meta:
        model = "crm.ProjectMilestone"

    project = factory.SubFactory(ProjectFactory)
    kind = "signed"


class ProjectProgressFactory(DjangoModelFactory):
    class Meta:
        model = "crm.ProjectProgress"

    project = factory.SubFactory(ProjectFactory)
    month = dt.date(2026, 1, 1)


class CommissionerFactory(DjangoModelFactory):
    class Meta:
        model = "crm.Commissioner"

    name = factory.Sequence(lambda n: f"特派员{n:03d}")


class CommissionerAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = "crm.CommissionerAssignment"

    commissioner = factory.SubFactory(CommissionerFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    starts_on = dt.date(2025, 1, 1)
