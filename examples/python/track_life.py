#!/usr/bin/env python3
"""A track's life through the plyr REST API, with the Python standard library only.

Uploads an audio file, gates it (supporters only), plays it as its artist, and un-gates it again,
checking each answer on the way. Prints a JSON summary; exits 1 with the API's error otherwise.

    python3 track_life.py --api http://localhost:3000 --token "$PLYR_TOKEN" song.mp3
"""

import argparse
import json
import mimetypes
import os
import sys
import time
import urllib.error
import urllib.request

TIMEOUT_S = 20
MOVE_TIMEOUT_S = 90


class ApiError(Exception):
    pass


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """/audio answers with a redirect; the script looks at it before following it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


NO_REDIRECT = urllib.request.build_opener(NoRedirect)


def request(method, url, token=None, body=None, headers=None, opener=None):
    """One HTTP call: returns (status, headers, body bytes); HTTP errors are answers too, not exceptions."""
    data = None
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        all_headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with (opener or urllib.request.urlopen)(req, timeout=TIMEOUT_S) as res:
            return res.status, res.headers, res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def call(api, method, path, token, body=None):
    """A REST route under /v1; its JSON answer, or ApiError with the documented error body."""
    status, _, raw = request(method, f"{api}/v1{path}", token, body)
    answer = json.loads(raw) if raw else None
    if status != 200:
        raise ApiError(f"{method} /v1{path} answered {status}: {answer.get('code')}: {answer.get('message')}")
    return answer


def play(api, file_id, token, expected_prefix):
    """GET /audio/{fileId}: a 307 to the audio, whose first bytes must be the file's."""
    status, headers, _ = request("GET", f"{api}/audio/{file_id}", token, opener=NO_REDIRECT.open)
    if status != 307:
        raise ApiError(f"GET /audio/{file_id} answered {status}, not 307")
    location = headers["Location"]
    status, _, media = request("GET", location, headers={"Range": f"bytes=0-{len(expected_prefix) - 1}"})
    if status not in (200, 206) or media[: len(expected_prefix)] != expected_prefix:
        raise ApiError(f"the audio behind {location} is not the uploaded file (status {status})")
    return location


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="an audio file (MP3, M4A, FLAC, WAV, OGG)")
    parser.add_argument("--api", default=os.environ.get("PLYR_API_URL", "http://localhost:3000"))
    parser.add_argument("--token", default=os.environ.get("PLYR_TOKEN"), help="a developer token (or PLYR_TOKEN)")
    parser.add_argument("--title", default=None)
    args = parser.parse_args()
    if not args.token:
        parser.error("a developer token is needed: --token or PLYR_TOKEN")
    api = args.api.rstrip("/")
    with open(args.file, "rb") as f:
        audio = f.read()
    content_type = mimetypes.guess_type(args.file)[0] or "audio/mpeg"
    steps = []

    # 1. An upload URL; 2. the bytes go straight to storage; 3. finalize.
    ticket = call(api, "POST", "/uploads", args.token,
                  {"filename": os.path.basename(args.file), "contentType": content_type, "size": len(audio)})
    status, _, _ = request(ticket["method"], ticket["url"], body=audio, headers=ticket["headers"])
    if status != 200:
        raise ApiError(f"the PUT to the upload URL answered {status}")
    title = args.title or os.path.splitext(os.path.basename(args.file))[0]
    track = call(api, "POST", f"/uploads/{ticket['uploadId']}/finalize", args.token, {"title": title})
    steps.append("uploaded")

    # 4. Gate it: at once, nobody without credentials may play it, and its artist still can.
    gated = call(api, "PATCH", f"/tracks/{track['id']}", args.token, {"supportGate": {"type": "any"}})
    if gated["supportGate"] != {"type": "any"}:
        raise ApiError(f"the gate was not set: {gated['supportGate']}")
    status, _, _ = request("HEAD", f"{api}/audio/{track['fileId']}", opener=NO_REDIRECT.open)
    if status != 401:
        raise ApiError(f"a gated track answered {status} without credentials, not 401")
    steps.append("gated")
    gated_location = play(api, track["fileId"], args.token, audio[:16])
    steps.append("played as its artist")

    # 5. Un-gate it: public again; once the audio has moved back, anyone plays it from the CDN.
    call(api, "PATCH", f"/tracks/{track['id']}", args.token, {"supportGate": None})
    deadline = time.monotonic() + MOVE_TIMEOUT_S
    while call(api, "GET", f"/tracks/{track['id']}", None)["storage"] != "ready":
        if time.monotonic() > deadline:
            raise ApiError("the audio did not move back to the public bucket in time")
        time.sleep(0.2)
    public_location = play(api, track["fileId"], None, audio[:16])
    steps.append("un-gated")

    print(json.dumps({
        "trackId": track["id"],
        "fileId": track["fileId"],
        "steps": steps,
        "gatedAudio": gated_location.split("?")[0],
        "publicAudio": public_location,
    }))


if __name__ == "__main__":
    try:
        main()
    except (ApiError, OSError) as err:
        print(f"track_life: {err}", file=sys.stderr)
        sys.exit(1)
