"""`verify` and `evidence`: what the archive can prove, as the command line prints it."""

from __future__ import annotations

from typing import Any

from storage.archive import Archive


class NoSuchVersion(LookupError):
    """The report has no such version (a usage error)."""


def proof(archive: Archive, url: str, watch: str, version: int | None) -> dict[str, Any]:
    """Everything that proves one version: the fetch, the raw response, its link and the head."""
    evidence = archive.scoped(watch).evidence
    versions = archive.queries.versions(url, watch)
    number = version or versions[-1]["version"]
    chosen = next((v for v in versions if v["version"] == number), None)
    if chosen is None:
        raise NoSuchVersion(f"{url} has versions 1 to {versions[-1]['version']}, not {number}")
    links = [entry for entry in evidence.links_of(url, watch) if entry["version"] == number]
    first = next(
        (entry for entry in links if entry["kind"] in ("version", "reextraction")), links[0] if links else None
    )
    response = evidence.response(first["response_id"]) if first and first["response_id"] else None
    return {
        "url": url, "watch": watch, "version": number, "stored_at": chosen["stored_at"],
        "content_hash": first["content_hash"] if first else None,
        "raw_sha256": first["raw_sha256"] if first else None, "response": response,
        "link": first, "later_links": [e for e in links if e is not first], "head": evidence.head(watch),
        "title": chosen.get("title"), "files": files(archive, url, watch),
    }  # fmt: skip


def files(archive: Archive, url: str, watch: str) -> list[dict[str, Any]]:
    """The report's attachment files: what is known of each, and each of its chain links."""
    part = archive.scoped(watch)
    out = []
    for state in part.files.all(url):
        links = [e for e in part.evidence.links_of(state.url, watch) if e["kind"] == "attachment"]
        out.append({"state": state, "links": links})
    return out


def proof_lines(p: dict[str, Any], config_hint: str = "") -> list[str]:
    link, response = p["link"], p["response"]
    lines = [
        f"report:        {p['title']}",
        f"url:           {p['url']}  (watch {p['watch']})",
        f"version:       {p['version']}, stored {p['stored_at']}",
        f"content hash:  {p['content_hash']}  (sha256 of the version's fields, normalised)",
    ]
    if response:
        lines += [
            f"fetched:       {response['method']} {response['url']} at {response['requested_at']}",
            f"answer:        HTTP {response['status']}",
            *[f"  {name}: {value}" for name, value in response["headers"]],
            "request headers we sent:",
            *[f"  {name}: {value}" for name, value in response["request_headers"]],
            f"raw response:  sha256 {p['raw_sha256']}  (`evidence URL --version {p['version']} --raw` writes it)",
        ]
    else:
        lines.append("raw response:  none kept (stored before release 0.7.0, or with [evidence] keep_raw = false)")
    if link:
        lines += [f"chain link:    #{link['id']} {link['link']}", f"  after:       {link['prev']}"]
    lines += [f"later:         {e['kind']} at {e['at']} (link {e['link']})" for e in p["later_links"]]
    lines += _file_lines(p)
    lines += [
        f"chain head:    {p['head']}  (watch {p['watch']}; compare with a head you noted or published earlier)",
        f"verify it:     ayrdw-watch{config_hint} verify --watch {p['watch']}",
    ]
    return lines


def _file_lines(p: dict[str, Any]) -> list[str]:
    lines = ["files:"] if p["files"] else []
    for found in p["files"]:
        state = found["state"]
        lines.append(f"  {state.name or '(no name)'}  {state.url}")
        if state.sha256:
            kept = " (`evidence URL --file FILE_URL` writes it)" if state.response_id else " (bytes not kept)"
            lines.append(f"    sha256 {state.sha256}, {state.size} bytes, {state.content_type}{kept}")
        if state.error:
            lines.append(f"    {'not kept' if not state.sha256 else 'last check'}: {state.error}")
        lines += [f"    {e['at']}: link #{e['id']} {e['link']} (sha256 {e['content_hash']})" for e in found["links"]]
    return lines


def check_signatures(archive: Archive, public_key_file: str, watches: list[str]) -> int:
    """Every signed head checks with the public key and is the link at its position; the count."""
    from pathlib import Path

    from domain.signing import Signed, SigningKeyError, public_key, valid
    from jobs.errors import Failed

    try:
        key = public_key(Path(public_key_file).read_text(encoding="ascii", errors="replace"))
    except SigningKeyError as exc:
        raise Failed(f"verify: {public_key_file}: {exc}") from None
    rows = archive.evidence.signatures(watches)
    for row in rows:
        signed = Signed(row["watch"], row["idx"], row["head"], row["signature"])
        if not valid(key, signed):
            raise Failed(f"verify: the signature of head {row['idx']} of watch {row['watch']} does not check"
                         f" with {public_key_file}: forged, altered, or signed with another key")  # fmt: skip
        if archive.evidence.link_at(row["watch"], row["idx"]) != row["head"]:
            raise Failed(f"verify: signed head {row['idx']} of watch {row['watch']} is not the link at that place")
    return len(rows)
