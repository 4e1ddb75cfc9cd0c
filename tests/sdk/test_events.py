"""Events: registration, capability gating, payload shapes, meeting join/leave and messages."""

from __future__ import annotations

import pytest

from compositor.errors import LayersValueError
from compositor.sdk import Code, ZoomSdk
from tests.sdk.conftest import ALL, FakeManager, SolidCamera, assert_rejected, run


def test_participant_join_and_leave_events(make_sdk):
    sdk = make_sdk()
    events = []
    sdk.onParticipantChange(events.append)
    bob = sdk.meeting.join("Bob", camera=SolidCamera(), role="coHost")
    (entry,) = events[0]["participants"]
    assert entry["status"] == "join" and entry["screenName"] == "Bob" and entry["participantUUID"] == bob
    assert entry["role"] == "cohost" and isinstance(entry["participantId"], int)
    sdk.meeting.leave(bob)
    assert events[1]["participants"][0]["status"] == "leave"
    assert isinstance(events[1]["timestamp"], int)


def test_leaving_participant_disappears_from_the_canvas(make_sdk):
    sdk = make_sdk()
    bob_camera = SolidCamera()
    bob = sdk.meeting.join("Bob", camera=bob_camera)
    run(sdk.runRenderingContext({"view": "immersive"}))
    run(sdk.drawParticipant({"participantUUID": bob}))
    run(sdk.drawParticipant({"participantUUID": sdk.participant_uuid, "zIndex": 2}))
    sdk.meeting.leave(bob)
    assert [layer.participant_uuid for layer in sdk.scene.layers] == [sdk.participant_uuid]
    assert bob_camera.closed == 1
    assert_rejected(sdk, sdk.drawParticipant({"participantUUID": bob}), Code.UNKNOWN_PARTICIPANT)


def test_meeting_rejects_bad_joins_and_leaves(make_sdk):
    sdk = make_sdk()
    with pytest.raises(LayersValueError):
        sdk.meeting.join("Eve", role="king")
    with pytest.raises(LayersValueError):
        sdk.meeting.join("", role="attendee")
    with pytest.raises(LayersValueError):
        sdk.meeting.leave("nobody")
    with pytest.raises(LayersValueError):
        sdk.meeting.leave(sdk.participant_uuid)
    with pytest.raises(LayersValueError):
        sdk.meeting.join("Eve", camera=object())


def test_active_speaker_event(make_sdk):
    sdk = make_sdk()
    bob = sdk.meeting.join("Bob")
    events = []
    sdk.onActiveSpeakerChange(events.append)
    sdk.meeting.set_active_speaker(bob, sdk.participant_uuid)
    users = events[0]["users"]
    assert [u["participantUUID"] for u in users] == [bob, sdk.participant_uuid]
    assert users[0]["screenName"] == "Bob" and isinstance(users[0]["timestamp"], str)


def test_host_only_events_do_not_reach_attendees(make_sdk):
    sdk = make_sdk(role="attendee")
    events = []
    sdk.onParticipantChange(events.append)
    sdk.onActiveSpeakerChange(events.append)
    bob = sdk.meeting.join("Bob")
    sdk.meeting.set_active_speaker(bob)
    assert events == []


def test_my_user_context_change_on_role_change(make_sdk):
    sdk = make_sdk(role="attendee")
    events = []
    sdk.onMyUserContextChange(events.append)
    sdk.meeting.set_role(sdk.participant_uuid, "cohost")
    assert events[0]["role"] == "coHost" and events[0]["screenName"] == "Me"
    assert run(sdk.getUserContext())["role"] == "coHost"


def test_events_need_capability_and_config(make_sdk):
    sdk = make_sdk(configure=False)
    events = []
    sdk.addEventListener("onParticipantChange", events.append)   # registering before config is fine
    sdk.meeting.join("Before config")
    run(sdk.config({"capabilities": ["getUserContext"]}))
    sdk.meeting.join("Not in capabilities")
    run(sdk.config({"capabilities": ["onParticipantChange"]}))
    sdk.meeting.join("Delivered")
    assert [e["participants"][0]["screenName"] for e in events] == ["Delivered"]


def test_remove_event_listener_and_unknown_events(make_sdk):
    sdk = make_sdk()
    events = []
    sdk.addEventListener("onParticipantChange", events.append)
    sdk.removeEventListener("onParticipantChange", events.append)
    sdk.meeting.join("Bob")
    assert events == []
    with pytest.raises(Exception) as info:
        sdk.addEventListener("onNothing", events.append)
    assert info.value.code == Code.INVALID_ARGUMENT
    with pytest.raises(Exception):
        sdk.addEventListener("onMessage", "not callable")


def test_a_raising_handler_does_not_stop_the_others(make_sdk):
    sdk = make_sdk()
    seen = []

    def broken(payload):
        raise RuntimeError("app bug")

    sdk.onParticipantChange(broken)
    sdk.onParticipantChange(seen.append)
    sdk.meeting.join("Bob")
    assert len(seen) == 1


def test_rendering_context_events(make_sdk):
    sdk = make_sdk()
    opened, contexts = [], []
    sdk.onRenderedAppOpened(opened.append)
    sdk.onRunningContextChange(contexts.append)
    run(sdk.runRenderingContext({"view": "camera"}))
    assert opened[0]["view"] == "camera" and opened[0]["byInvitation"] is False
    run(sdk.closeRenderingContext())
    assert [c["runningContext"] for c in contexts] == ["inCamera", "inMeeting"]


def test_post_message_between_instances(make_sdk):
    sdk = make_sdk()
    assert_rejected(sdk, sdk.postMessage({"hello": 1}), Code.NOT_CONNECTED)
    run(sdk.runRenderingContext({"view": "camera"}))
    rendered = sdk.rendered
    received, back = [], []
    rendered.onMessage(received.append)
    sdk.onMessage(back.append)
    run(rendered.config({"capabilities": ALL}))
    assert run(sdk.postMessage({"message": "Jane Doe - Product Lead"})) == {"message": "Success"}
    assert received[0]["payload"] == '{"message":"Jane Doe - Product Lead"}'    # a JSON string, as CM saw
    run(rendered.postMessage({"ack": True}))
    assert back[0]["payload"] == '{"ack":true}'
    assert_rejected(sdk, sdk.postMessage({"blob": "x" * 600_000}), Code.POST_MESSAGE_FAILED)
    assert_rejected(sdk, sdk.postMessage({"bad": object()}), Code.POST_MESSAGE_FAILED)


def test_connect_fires_on_connect_and_allows_post_message(make_sdk):
    sdk = make_sdk()
    connected = []
    sdk.onConnect(connected.append)
    assert run(sdk.connect()) == {"message": "Success"}
    assert connected[0]["action"] == "success"
    assert run(sdk.postMessage({"state": 1})) == {"message": "Success"}


def test_my_media_change_reaches_both_instances(make_sdk):
    manager = FakeManager([SolidCamera(id="a"), SolidCamera(id="b", size=(64, 48))])
    sdk = make_sdk(cameras=manager)
    run(sdk.runRenderingContext({"view": "camera"}))
    run(sdk.rendered.config({"capabilities": ["onMyMediaChange"]}))
    main_events, rendered_events = [], []
    sdk.onMyMediaChange(main_events.append)
    sdk.rendered.onMyMediaChange(rendered_events.append)
    run(sdk.setCamera({"id": "b"}))
    assert main_events[0]["media"]["video"]["width"] == 64 == rendered_events[0]["media"]["video"]["width"]


def test_shared_meeting_between_two_sdks():
    first = ZoomSdk(FakeManager())
    second = ZoomSdk(FakeManager(), meeting=first.meeting, screen_name="Second", role="attendee")
    try:
        run(first.config({"capabilities": ALL}))
        names = [p["screenName"] for p in run(first.getMeetingParticipants())["participants"]]
        assert names == ["Me", "Second"]
    finally:
        first.close()
        second.close()


def test_user_context_change_reaches_only_that_user():
    first = ZoomSdk(FakeManager())
    second = ZoomSdk(FakeManager(), meeting=first.meeting, screen_name="Second", role="attendee")
    try:
        seen_first, seen_second = [], []
        for sdk, seen in ((first, seen_first), (second, seen_second)):
            run(sdk.config({"capabilities": ALL}))
            sdk.onMyUserContextChange(seen.append)
        second.meeting.set_role(second.participant_uuid, "coHost")
        assert seen_first == [] and seen_second[0]["screenName"] == "Second"
    finally:
        first.close()
        second.close()
