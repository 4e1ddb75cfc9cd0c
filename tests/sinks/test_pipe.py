import os
import threading

import numpy as np
import pytest

from compositor.errors import SinkError
from compositor.renderer import RenderLoop
from compositor.sinks import NullSink
from compositor.sinks.pipe import PipeSink
from compositor.stats import FrameMeta

W, H = 320, 240  # 230 KB a frame: more than a pipe buffer, so writes are partial


def read_all(fd, into):
    with os.fdopen(fd, "rb") as reader:
        into.append(reader.read())


def test_raw_frames_arrive_whole_and_in_order():
    read_fd, write_fd = os.pipe()
    received = []
    reader = threading.Thread(target=read_all, args=(read_fd, received))
    reader.start()
    images = [np.full((H, W, 3), i, np.uint8) for i in range(4)]
    images[2][7, 9] = (1, 2, 3)
    with PipeSink("raw", fd=write_fd) as sink:
        sink.open((W, H), 30)
        assert "rgb24 raw 320x240@30 to fd" in sink.describe()
        for i, image in enumerate(images):
            sink.write(image, FrameMeta(i, "stream", 0, 0, 0))
    os.close(write_fd)  # the sink never closes a descriptor it was given
    reader.join()
    assert received[0] == b"".join(image.tobytes() for image in images)


def test_y4m_over_a_pipe_starts_with_its_header():
    read_fd, write_fd = os.pipe()
    received = []
    reader = threading.Thread(target=read_all, args=(read_fd, received))
    reader.start()
    with PipeSink("y4m", fd=write_fd) as sink:
        sink.open((W, H), 30)
        sink.write(np.zeros((H, W, 3), np.uint8), FrameMeta(0, "stream", 0, 0, 0))
    os.close(write_fd)
    reader.join()
    assert received[0].startswith(b"YUV4MPEG2 W320 H240 F30:1 ")
    assert len(received[0].split(b"FRAME\n", 1)[1]) == W * H * 3 // 2


def test_closed_pipe_is_a_clear_error():
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    sink = PipeSink("raw", fd=write_fd)
    sink.open((W, H), 30)
    with pytest.raises(SinkError, match="the reading program closed the pipe"):
        sink.write(np.zeros((H, W, 3), np.uint8), FrameMeta(0, "stream", 0, 0, 0))
    sink.close()
    os.close(write_fd)


def test_closed_pipe_removes_only_that_output_from_the_loop():
    read_fd, write_fd = os.pipe()
    pipe, null = PipeSink("raw", fd=write_fd), NullSink()
    with RenderLoop(lambda out, view: None, (W, H), fps=200, sinks=[pipe, null], queue_depth=32) as loop:
        os.close(read_fd)  # the reader goes away mid-run
        stats = loop.run(frames=10)
    os.close(write_fd)
    assert "closed the pipe" in stats.sinks[pipe.name].error
    assert null.frames == 10


def test_refuses_to_spray_video_on_a_terminal():
    main, secondary = os.openpty()
    try:
        with pytest.raises(SinkError, match="terminal"):
            PipeSink("raw", fd=secondary).open((W, H), 30)
    finally:
        os.close(main)
        os.close(secondary)
