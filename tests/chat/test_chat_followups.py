"""The offline chat on turns outside testers found hard: questions about returns already made,
changes of mind at the summary, ruled-out items and the whole order."""

from __future__ import annotations

from graph.chat_graph import CustomerChat
from graph.desk import ReturnsDesk


def _said(chat: CustomerChat, sid: str, text: str) -> str:
    return "\n".join(message.text for message in chat.say(sid, text))


def _resolved_lamp(desk: ReturnsDesk, chat: CustomerChat, sid: str) -> str:
    """One lamp of order 1001 returned through the chat and refunded by its supplier."""
    _said(chat, sid, "order 1001 ana@example.com, one of the lamps, I changed my mind")
    assert "Done!" in _said(chat, sid, "yes")
    code = desk.cases_for_order("1001")[0].code
    desk.supplier_action("credit-co", code, "approve")
    view = desk.case_view(code)
    assert view.status == "resolved"
    return view.refunded


def test_a_refund_question_after_a_resolved_case_gives_the_amount(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    refunded = _resolved_lamp(desk, chat, sid)
    for question in (
        "has my refund gone through?",
        "did I get my refund?",
        "I want my money back",
        "is the money back on my card?",
    ):
        answer = _said(chat, sid, question)
        assert refunded in answer, question
        assert "wrong with" not in answer and "Which item" not in answer, question
        assert chat.state(sid).lines == [], question
    assert len(desk.cases_for_order("1001")) == 1


def test_another_item_after_a_resolved_case_is_a_new_return(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    _resolved_lamp(desk, chat, sid)
    answer = _said(chat, sid, "can I get my money back for the mug too? it's cracked")
    assert "Ceramic mug" in answer and "yes or no" in answer


def test_only_saying_who_you_are_gives_the_status_when_there_are_returns(
    desk: ReturnsDesk,
) -> None:
    chat = CustomerChat(desk, "offline")
    first = chat.open_session()
    _resolved_lamp(desk, chat, first)
    second = chat.open_session()
    answer = _said(chat, second, "1001 ana@example.com")
    assert "RB-" in answer and "wrong with" not in answer and "Which item" not in answer
    third = CustomerChat(desk, "offline").open_session()
    desk_without_cases = _said(chat, third, "hello")
    assert "RB-" not in desk_without_cases


def test_a_question_about_a_returned_item_before_identity_opens_nothing(
    desk: ReturnsDesk,
) -> None:
    chat = CustomerChat(desk, "offline")
    refunded = _resolved_lamp(desk, chat, chat.open_session())
    sid = chat.open_session()
    assert "order number" in _said(chat, sid, "I want my money back for the lamp I sent back")
    answer = _said(chat, sid, "1001 ana@example.com")
    assert refunded in answer and "already" not in answer and "wrong with" not in answer


def test_no_then_yes_submits_the_same_summary(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    assert "yes or no" in _said(chat, sid, "1001 ana@example.com the mug is cracked")
    assert "change" in _said(chat, sid, "no")
    assert "Done!" in _said(chat, sid, "hmm no actually it's all fine, yes please submit it")
    assert len(desk.cases_for_order("1001")) == 1


def test_forget_it_at_the_summary_drops_the_draft(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    _said(chat, sid, "1001 ana@example.com the mug is cracked")
    assert "nothing was submitted" in _said(chat, sid, "ah forget it, it's only small")
    answer = _said(chat, sid, "but one lamp doesn't turn on")
    assert "Desk lamp" in answer and "Ceramic mug" not in answer
    assert desk.cases_for_order("1001") == []


def test_i_meant_the_other_item_replaces_the_first(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    _said(chat, sid, "1001 ana@example.com the mug is cracked")
    answer = _said(chat, sid, "sorry, I meant a lamp, not the mug. the mug is fine")
    assert "Desk lamp" in answer and "Ceramic mug" not in answer
    assert [line["sku"] for line in chat.state(sid).lines] == ["LAMP-1"]


def test_the_whole_order_goes_back_in_one_request(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    answer = _said(
        chat, sid, "1001 ana@example.com I want to return the whole order, no longer need it"
    )
    assert "1 x Ceramic mug" in answer and "2 x Desk lamp" in answer and "yes or no" in answer
    _said(chat, sid, "yes")
    assert sorted(view.sku for view in desk.cases_for_order("1001")) == ["LAMP-1", "MUG-1"]


def test_a_policy_question_about_store_credit_chooses_nothing(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    answer = _said(chat, sid, "do you give extra if i take store credit")
    assert "store credit" in answer.lower() and "order number" not in answer
    assert chat.state(sid).resolution is None


def test_same_reason_reuses_the_last_one(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    _said(chat, sid, "1001 ana@example.com one lamp, I don't need it anymore")
    assert "Done!" in _said(chat, sid, "yes")
    answer = _said(chat, sid, "and the mug as well, same reason")
    assert "Ceramic mug: changed my mind" in answer and "yes or no" in answer


def test_cancelling_names_the_item_of_the_return(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    _said(chat, sid, "1001 ana@example.com the mug is cracked")
    _said(chat, sid, "yes")
    _said(chat, sid, "one lamp is faulty")
    _said(chat, sid, "yes")
    mug = next(view.code for view in desk.cases_for_order("1001") if view.sku == "MUG-1")
    assert mug in _said(chat, sid, "please cancel the mug return")


def test_taking_every_item_out_of_the_summary_drops_it(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    _said(chat, sid, "1001 ana@example.com the mug is cracked")
    assert "nothing was submitted" in _said(chat, sid, "actually no, forget the mug")
    assert chat.state(sid).lines == [] and desk.cases_for_order("1001") == []


def test_after_the_identity_numbers_are_no_longer_order_numbers(desk: ReturnsDesk) -> None:
    chat = CustomerChat(desk, "offline")
    sid = chat.open_session()
    _said(chat, sid, "where is my refund?")
    _said(chat, sid, "1001")
    _said(chat, sid, "ana@example.com")
    answer = _said(chat, sid, "I want to return 2 lamps, they flicker")
    assert "2 x Desk lamp" in answer and "couldn't find" not in answer
    chat2 = chat.open_session()
    _said(chat, chat2, "1001 ana@example.com")
    assert "Desk lamp" in _said(chat, chat2, "#2")
