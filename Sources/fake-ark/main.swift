import FakeArk
