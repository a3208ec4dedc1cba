"""The exhibit's file seams, written by one real side and read by the other real side."""

from __future__ import annotations

import time

from exhibit_agent.control_file import ControlFile
from kepu_contracts.control import Control, EmergencyNotice
from kepu_contracts.datadir import DataDir
from kepu_contracts.heartbeat import read_kiosk_status
from kepu_contracts.messages import desired, emergency_ref, parse_desired
from kiosk.control_watcher import ControlWatcher
from kiosk.heartbeat import Heartbeat

T0 = 1_767_225_600.0


def test_control_json_written_by_the_agent_is_what_the_kiosk_shows(tmp_path):
    paths = DataDir(tmp_path)
    em = emergency_ref("em-7", "请撤离", "Please evacuate", T0, T0 + 90, "Asia/Shanghai")
    agent_side = ControlFile(paths.control)
    agent_side.set(parse_desired(desired("ex-1", None, None, None, em, {"attract_after": 30})).emergency)
    kiosk_side = ControlWatcher(paths.control)

    assert agent_side.refresh(T0 - 1) and not kiosk_side.check(), "not started: the file says no emergency"
    assert kiosk_side.latest == Control()
    assert agent_side.refresh(T0 + 1)
    assert kiosk_side.check()
    notice = kiosk_side.latest.emergency
    assert notice == EmergencyNotice("em-7", "请撤离", "Please evacuate", T0, T0 + 90)
    # The kiosk ends the broadcast on its own clock, even if the agent is gone.
    assert notice.active(T0 + 89.999) and not notice.active(T0 + 90)
    assert kiosk_side.problems == 0


def test_a_restarted_agent_reads_its_own_control_json_back(tmp_path):
    paths = DataDir(tmp_path)
    em = emergency_ref(3, "停电通知", "Power cut notice", T0, T0 + 60, "UTC")
    first = ControlFile(paths.control)
    first.set(parse_desired({"emergency": em}).emergency)
    first.refresh(T0 + 1)
    again = ControlFile(paths.control)
    assert again.active(T0 + 59) is not None and again.active(T0 + 60) is None


def test_the_kiosk_heartbeat_is_what_the_agent_reads(tmp_path):
    paths = DataDir(tmp_path)
    beat = Heartbeat(paths.heartbeat, interval=0.05)
    beat.update(fps=59.5, last_frame=time.time(), pack={"id": "quake", "version": "1.0.0", "status": "loaded"})
    beat.start()
    try:
        deadline = time.monotonic() + 5
        status = None
        while time.monotonic() < deadline and status is None:
            status = read_kiosk_status(paths.heartbeat)
            time.sleep(0.02)
    finally:
        beat.stop()
    assert status is not None and status.fps == 59.5 and status.age < 5
    assert status.pack_status("quake", "1.0.0") == ("loaded", None)
    assert status.pack_status("quake", "2.0.0") == (None, None)
