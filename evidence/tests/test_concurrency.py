"""Real concurrent HTTP requests against the live server: decisions on one submission race.

On PostgreSQL (CI) requests truly interleave; on SQLite they serialise on the write lock. Either
way exactly one decision wins and the loser is told why.
"""

import json
import threading
import urllib.error
import urllib.request

import pytest
from rest_framework.authtoken.models import Token

from evidence.models import Evidence
from luhsan_portal.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def _post(url: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _race(*calls):
    """Run the calls at the same moment from separate threads; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.fixture
def tokens(office, liaison, county):
    from conftest import make_user

    second_reviewer = make_user("office2", "office", county=county)
    return {
        "office": Token.objects.create(user=office).key,
        "office2": Token.objects.create(user=second_reviewer).key,
        "liaison": Token.objects.create(user=liaison).key,
    }


@pytest.mark.parametrize("round_", range(3))
def test_two_reviewers_deciding_at_once_end_in_one_decision(live_server, tokens, submit, round_):
    evidence = submit()
    base = f"{live_server.url}/api/v1/evidence/{evidence.pk}"
    approve, ret = _race(
        lambda: _post(f"{base}/approve/", tokens["office"], {}),
        lambda: _post(f"{base}/return/", tokens["office2"], {"reason": "不完整"}),
    )
    codes = sorted([approve[0], ret[0]])
    assert codes == [200, 400], (approve, ret)
    final = Evidence.objects.get(pk=evidence.pk).status
    winner = approve if approve[0] == 200 else ret
    loser = ret if winner is approve else approve
    assert winner[1]["status"] == final
    assert "只有待审核的材料" in loser[1]["detail"]
    decisions = AuditEvent.objects.filter(verb__in=["evidence.approve", "evidence.return"], target_id=str(evidence.pk))
    assert decisions.count() == 1


@pytest.mark.parametrize("round_", range(3))
def test_withdraw_racing_an_approval_ends_consistent(live_server, tokens, submit, round_):
    evidence = submit()
    base = f"{live_server.url}/api/v1/evidence/{evidence.pk}"
    approve, withdraw = _race(
        lambda: _post(f"{base}/approve/", tokens["office"], {}),
        lambda: _post(f"{base}/withdraw/", tokens["liaison"], {"reason": "撤回"}),
    )
    assert sorted([approve[0], withdraw[0]]) == [200, 400]
    final = Evidence.objects.get(pk=evidence.pk)
    assert final.status in ("approved", "withdrawn")
    assert (final.reviewed_at is not None) == (final.status == "approved")
    assert (final.withdrawn_at is not None) == (final.status == "withdrawn")


def test_two_resubmissions_of_one_return_at_once_keep_one(live_server, tokens, submit, office, justice_assignments):
    from evidence.services import evidence_return

    v1 = submit()
    evidence_return(evidence=v1, actor=office, reason="不完整")
    body = {
        "assignments": [justice_assignments["1"].pk],
        "title": "v2",
        "unclassified": True,
        "statement": "已补充",
        "previous": v1.pk,
    }
    first, second = _race(
        lambda: _post(f"{live_server.url}/api/v1/evidence/", tokens["liaison"], body),
        lambda: _post(f"{live_server.url}/api/v1/evidence/", tokens["liaison"], body),
    )
    assert sorted([first[0], second[0]]) == [201, 400], (first, second)
    assert Evidence.objects.filter(previous=v1).count() == 1


def test_a_double_clicked_submission_creates_one_row(live_server, tokens, justice_assignments):
    body = {
        "assignments": [justice_assignments["3"].pk],
        "title": "双击",
        "unclassified": True,
        "statement": "说明",
        "client_token": "double-click-token",
    }
    first, second = _race(
        lambda: _post(f"{live_server.url}/api/v1/evidence/", tokens["liaison"], body),
        lambda: _post(f"{live_server.url}/api/v1/evidence/", tokens["liaison"], body),
    )
    assert sorted([first[0], second[0]]) == [200, 201]
    assert first[1]["id"] == second[1]["id"]
    assert Evidence.objects.filter(title="双击").count() == 1
