"""Outreach check-ins on both platforms: the offer arrives privately with Accept / Decline
(buttons on Discord, reactions on Matrix); a decline is respected."""

from __future__ import annotations

from bot.core.capabilities import Role
from tests.support.helpdesk_drivers import answer_containing, private_offer


async def test_a_declined_checkin_is_respected(driver):
    ann = await driver.member("ann")
    sam = await driver.member("sam", Role.YOUTH_WORKER)
    sent = await answer_containing(driver, sam, "outreach checkin", "offered to", member=ann)
    assert "can accept or decline" in sent
    offer = await private_offer(driver, ann, "would like to check in with you")
    answered = await driver.press(ann, offer, "outreach decline")
    assert "no problem" in answered.text
    refused = await answer_containing(
        driver, sam, "outreach checkin", "declined a check-in recently", member=ann
    )
    assert "offer another one from" in refused
