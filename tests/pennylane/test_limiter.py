"""The client-side limiter counts a call's slot from when its answer arrived, as the server
counts the request when it receives it."""

import resources.http.limiter as http


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_slot_is_free_a_window_after_its_answer_not_its_send(monkeypatch):
    t = FakeTime()
    monkeypatch.setattr(http.time, "sleep", t.sleep)
    limiter = http.SlidingWindowLimiter(limit=2, window=5.0, clock=t.clock)
    first = limiter.acquire()
    second = limiter.acquire()
    t.now = 0.8
    limiter.settle(first)  # a slow first answer (connection set-up)
    t.now = 0.1 + 0.8
    limiter.settle(second)
    t.now = 5.2  # 5 s after the sends, but not after the answers
    limiter.acquire()
    assert t.now >= 5.8  # waited until 5 s after the first answer
    assert len(t.slept) == 1


def test_a_429_fills_the_window_for_retry_after(monkeypatch):
    t = FakeTime()
    monkeypatch.setattr(http.time, "sleep", t.sleep)
    limiter = http.SlidingWindowLimiter(limit=25, window=5.0, clock=t.clock)
    t.now = 10.0
    limiter.penalize(3.0)
    limiter.acquire()
    assert 13.0 <= t.now <= 13.01
