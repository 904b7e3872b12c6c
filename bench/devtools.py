"""What a Chromium tab asked for, from the DevTools Protocol's Network events: each request's
URL, type, status (a revalidation's 304 too), bytes on the wire and whether the browser's
cache answered it. For bench.slow_link."""

from dataclasses import dataclass, field


@dataclass
class Request:
    url: str
    kind: str  # DevTools' resource type: Document, Stylesheet, Script, Image, XHR ...
    start: float  # CDP monotonic seconds
    status: int = 0
    bytes: int = 0  # on the wire: headers and (compressed) body
    cached: str = ""  # "memory" or "disk" when the browser's cache answered
    end: float = 0.0
    wire_status: int = 0

    def line(self) -> str:
        where = f"from {self.cached} cache" if self.cached else "network"
        if self.wire_status == 304:
            where = "revalidated (304)"
        return f"    {self.status:>3} {self.bytes:>7,} B  {where:17} {self.kind:10} {self.url}"


@dataclass
class Requests:
    """What the browser asked for while it was watched, from the DevTools Protocol."""

    by_id: dict = field(default_factory=dict)
    made: list = field(default_factory=list)

    def watch(self, cdp) -> None:
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", self._from_memory)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.responseReceivedExtraInfo", self._raw_status)
        cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event):
        if event["request"]["url"].startswith("http"):
            request = Request(event["request"]["url"], event.get("type", ""), event["timestamp"])
            self.by_id[event["requestId"]] = request
            self.made.append(request)

    def _from_memory(self, event):
        if event["requestId"] in self.by_id:
            self.by_id[event["requestId"]].cached = "memory"

    def _response(self, event):
        request = self.by_id.get(event["requestId"])
        if request:
            request.status = event["response"]["status"]
            if event["response"].get("fromDiskCache"):
                request.cached = "disk"

    def _raw_status(self, event):
        """The status on the wire: a revalidated file is a 304 here, a 200 in the response."""
        request = self.by_id.get(event["requestId"])
        if request and event.get("statusCode"):
            request.wire_status = event["statusCode"]

    def _finished(self, event):
        request = self.by_id.get(event["requestId"])
        if request:
            request.bytes, request.end = int(event["encodedDataLength"]), event["timestamp"]

    def take(self) -> list[Request]:
        made, self.made, self.by_id = self.made, [], {}
        return made


def network(requests: list[Request]) -> list[Request]:
    return [r for r in requests if not r.cached]
