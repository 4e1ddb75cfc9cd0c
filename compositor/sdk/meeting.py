"""The emulated meeting: who is in it, with which role and camera, and who is speaking.

Immersive apps draw other participants, so the runtime needs a meeting to hold them. Each
participant has a `participantUUID` (the SDK's meeting-specific id), a deprecated numeric
`participantId`, a screen name, a role and a camera (any object with `latest() -> Frame | None`,
e.g. `cameras.StillCamera`). Joining and leaving at run time notify subscribers, which the facade
turns into `onParticipantChange` events and into removing a participant who leaves from the canvas.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any, Callable

from compositor.errors import LayersValueError

# getUserContext / getMeetingParticipants spell roles like this; other payloads differ (see below).
ROLES = ("host", "coHost", "attendee", "panelist")
_ROLE_ALIASES = {"host": "host", "cohost": "coHost", "co-host": "coHost", "attendee": "attendee",
                 "participant": "attendee", "panelist": "panelist"}
HOST_ROLES = frozenset({"host", "coHost"})
FIRST_PARTICIPANT_ID = 16778240      # the shape of the numeric ids Zoom hands out (JW trace)

Listener = Callable[[str, dict, "str | None"], None]   # (event name, payload, subject participantUUID)


def normalize_role(role: str) -> str:
    """'host' | 'coHost' | 'attendee' | 'panelist', accepting the spellings the SDK payloads use."""
    if isinstance(role, str) and role.lower() in _ROLE_ALIASES:
        return _ROLE_ALIASES[role.lower()]
    raise LayersValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")


def change_event_role(role: str) -> str:
    """onParticipantChange spells co-host 'cohost' and has no panelist."""
    return {"coHost": "cohost", "panelist": "attendee"}.get(role, role)


@dataclass
class Participant:
    participant_uuid: str
    screen_name: str
    role: str
    participant_id: int
    camera: Any = field(default=None, repr=False)   # latest() -> Frame | None; None: no video

    def info(self) -> dict:
        """The SDK's `Participant` shape (getMeetingParticipants)."""
        return {"screenName": self.screen_name, "participantId": str(self.participant_id),
                "participantUUID": self.participant_uuid, "role": self.role}

    def latest_frame(self):
        return self.camera.latest() if self.camera is not None else None


class Meeting:
    """Participants of one meeting, in join order; `local` is the user running the app."""

    def __init__(self, topic: str = "Layers meeting", meeting_id: str = "01234567890",
                 meeting_uuid: str | None = None):
        self.topic = topic
        self.meeting_id = meeting_id
        self.meeting_uuid = meeting_uuid or uuidlib.uuid4().hex
        self.immersive_holder: object | None = None     # one immersive context per meeting
        self._participants: dict[str, Participant] = {}
        self._ids = itertools.count(FIRST_PARTICIPANT_ID)
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._local_uuids: list[str] = []       # users running an app on this meeting (one per ZoomSdk)
        self.active_speakers: tuple[str, ...] = ()

    # -- membership -------------------------------------------------------------------------
    def add_local(self, screen_name: str, role: str, participant_uuid: str | None = None,
                  camera: Any = None) -> Participant:
        """Register the app's own user (no event: the user is there before the app starts)."""
        participant = self._make(screen_name, role, participant_uuid, camera)
        self._local_uuids.append(participant.participant_uuid)
        return participant

    def join(self, screen_name: str, camera: Any = None, role: str = "attendee",
             participant_uuid: str | None = None) -> str:
        """Someone joins: returns their participantUUID and fires onParticipantChange 'join'.

        The meeting owns `camera` from now on: it is opened here (if it has `open`) and closed
        when the participant leaves or the meeting closes.
        """
        if camera is not None and not callable(getattr(camera, "latest", None)):
            raise LayersValueError(f"camera for {screen_name!r} must have latest(), got {type(camera).__name__}")
        if camera is not None and callable(getattr(camera, "open", None)):
            camera.open()
        participant = self._make(screen_name, role, participant_uuid, camera)
        self._notify("join", participant)
        return participant.participant_uuid

    def leave(self, participant_uuid: str) -> None:
        """Someone leaves: fires onParticipantChange 'leave'; the facade clears their layer."""
        with self._lock:
            participant = self._participants.get(participant_uuid)
            if participant is None:
                raise LayersValueError(f"no participant {participant_uuid!r} in the meeting")
            if participant_uuid in self._local_uuids:
                raise LayersValueError("the local user cannot leave: close the SDK instead")
            del self._participants[participant_uuid]
            self.active_speakers = tuple(u for u in self.active_speakers if u != participant_uuid)
        self._notify("leave", participant)
        _close_camera(participant.camera)

    def _make(self, screen_name: str, role: str, participant_uuid: str | None, camera: Any) -> Participant:
        if not isinstance(screen_name, str) or not screen_name:
            raise LayersValueError(f"screen name must be a non-empty string, got {screen_name!r}")
        role = normalize_role(role)
        participant_uuid = participant_uuid or str(uuidlib.uuid4()).upper()
        with self._lock:
            if participant_uuid in self._participants:
                raise LayersValueError(f"participant {participant_uuid!r} is already in the meeting")
            participant = Participant(participant_uuid, screen_name, role, next(self._ids), camera)
            self._participants[participant_uuid] = participant
        return participant

    # -- queries ----------------------------------------------------------------------------
    @property
    def participants(self) -> list[Participant]:
        with self._lock:
            return list(self._participants.values())

    @property
    def local_uuid(self) -> str | None:
        """The first app user's participantUUID (the only one unless SDKs share this meeting)."""
        return self._local_uuids[0] if self._local_uuids else None

    def is_local(self, participant_uuid: str) -> bool:
        return participant_uuid in self._local_uuids

    def get(self, participant_uuid: str) -> Participant | None:
        return self._participants.get(participant_uuid)

    def find(self, participant_uuid=None, participant_id=None) -> Participant | None:
        """By participantUUID, or by the deprecated participantId (number or numeric string)."""
        if participant_uuid is not None:
            return self._participants.get(participant_uuid) if isinstance(participant_uuid, str) else None
        for participant in self.participants:
            if str(participant.participant_id) == str(participant_id):
                return participant
        return None

    # -- run-time changes -------------------------------------------------------------------
    def set_active_speaker(self, *participant_uuids: str) -> None:
        """These participants are speaking now (onActiveSpeakerChange lists all of them)."""
        for participant_uuid in participant_uuids:
            if participant_uuid not in self._participants:
                raise LayersValueError(f"no participant {participant_uuid!r} in the meeting")
        self.active_speakers = tuple(participant_uuids)
        now = int(time.time())
        users = [{"screenName": self._participants[u].screen_name, "participantUUID": u,
                  "participantId": str(self._participants[u].participant_id), "timestamp": str(now)}
                 for u in participant_uuids]
        self._emit("onActiveSpeakerChange", {"timestamp": now, "users": users})

    def set_role(self, participant_uuid: str, role: str) -> None:
        """A role change; for the local user it also fires onMyUserContextChange."""
        participant = self._participants.get(participant_uuid)
        if participant is None:
            raise LayersValueError(f"no participant {participant_uuid!r} in the meeting")
        participant.role = normalize_role(role)
        if self.is_local(participant_uuid):
            self._emit("onMyUserContextChange", {"timestamp": int(time.time()), "role": participant.role,
                                                 "screenName": participant.screen_name}, participant_uuid)

    # -- events -----------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """listener(event_name, payload, subject) for every meeting event (the facade routes them);
        `subject` is the participant a personal event (onMyUserContextChange) is about."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, status: str, participant: Participant) -> None:
        entry = {"status": status, "screenName": participant.screen_name,
                 "participantId": participant.participant_id,
                 "participantUUID": participant.participant_uuid,
                 "role": change_event_role(participant.role)}
        self._emit("onParticipantChange", {"timestamp": int(time.time()), "participants": [entry]})

    def _emit(self, name: str, payload: dict, subject: str | None = None) -> None:
        for listener in list(self._listeners):
            listener(name, payload, subject)

    def close(self) -> None:
        """Close every remote participant's camera (idempotent)."""
        for participant in self.participants:
            if not self.is_local(participant.participant_uuid):
                _close_camera(participant.camera)
                participant.camera = None


def _close_camera(camera) -> None:
    if camera is not None and callable(getattr(camera, "close", None)):
        camera.close()
