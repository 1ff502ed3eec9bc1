"""forms.policies.MatchFollowUp: what the pages show of a match's follow-up is what MatchStatusForm offers and reads."""

import pytest

from crm.choices import MatchStatus, PolicyDelivery
from crm.forms.policies import MatchFollowUp, MatchStatusForm
from tests.factories import PolicyFactory, PolicyMatchFactory


@pytest.mark.django_db
@pytest.mark.parametrize("status", MatchStatus.values)
@pytest.mark.parametrize("delivery", [PolicyDelivery.NO_APPLICATION, None])
def test_the_follow_up_offers_and_names_what_the_form_does(status, delivery, regions):
    policy = PolicyFactory(**({"delivery": delivery} if delivery else {}))
    match = PolicyMatchFactory(policy=policy, status=status)
    prefix = f"m{match.pk}"
    follow_up, form = MatchFollowUp.of(match, prefix=prefix), MatchStatusForm(match=match, prefix=prefix)
    assert list(follow_up.choices) == list(form.fields["status"].choices)
    assert (follow_up.allows_amount, follow_up.can_change) == (form.allows_amount, form.can_change)
    for name in form.fields:
        assert (follow_up.html_name(name), follow_up.id_for(name)) == (form[name].html_name, form[name].id_for_label)


@pytest.mark.django_db
def test_the_follow_up_of_a_pushed_match(regions):
    pushed = MatchFollowUp.of(PolicyMatchFactory(status=MatchStatus.PUSHED))
    assert [value for value, _label in pushed.choices] == [
        MatchStatus.PUSHED,
        MatchStatus.APPLYING,
        MatchStatus.DECLINED,
    ]
    assert pushed.can_change and not pushed.allows_amount
    assert (pushed.html_name("status"), pushed.id_for("note")) == ("status", "id_note")  # no prefix: the bare names
    assert not MatchFollowUp.of(PolicyMatchFactory(status=MatchStatus.DECLINED)).can_change
