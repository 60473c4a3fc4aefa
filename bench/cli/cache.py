"""``pobench cache [--out DIR | --cache DIR] [--check] [--prune]``: the artifacts of a cache folder (kind, key,
size, when and how long it took to build); ``--check`` verifies each against the manifest its meta.json keeps,
``--prune`` removes the damaged ones and the temp folders a crash left."""

from __future__ import annotations

import argparse
from pathlib import Path

from pobench.cli.options import add_out_arg
from pobench.core.cache import ArtifactCache, CacheEntry, prunable, remove_entry
from pobench.core.params import SettingsError
from pobench.reports.report import format_table

MB = 1e6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "List the artifacts of a cache folder: kind, key, size on disk, when and how long it took to build. "
        "--check verifies each against the manifest (size and sha256 of every file) kept in its meta.json and "
        "exits 1 if one is damaged; --prune removes damaged artifacts and the temp folders a crash left (never an "
        "intact artifact, nor the temp folder of a build still running). A run rebuilds a damaged artifact anyway."
    )
    add_out_arg(parser, help_text="results folder whose cache it is (OUT/cache)")
    parser.add_argument(
        "--cache", default=None, metavar="DIR", help="the artifact cache folder (default: OUT/cache, as pobench run)"
    )
    parser.add_argument("--check", action="store_true", help="verify every artifact's files against its manifest")
    parser.add_argument("--prune", action="store_true", help="remove damaged artifacts and leftover temp folders")


def run(args: argparse.Namespace) -> int:
    root = Path(args.cache) if args.cache else Path(args.out) / "cache"
    if not root.is_dir():
        what = "does not exist" if not root.exists() else "is not a folder"
        raise SettingsError(f"cache folder {root} {what} (`pobench run/sweep --cache` defaults to OUT/cache)")
    entries = ArtifactCache(root, log=lambda _: None).entries()
    if not entries:
        print(f"{root}: no artifacts (a cache holds KIND/KIND-HASH/ folders; `pobench run` puts it in OUT/cache)")
        return 0
    checking = args.check or args.prune
    statuses = [e.check() if checking else e.note() for e in entries]
    print(format_table([row(e, s) for e, s in zip(entries, statuses)], header=header(checking)))
    artifacts = [e for e in entries if e.state == "artifact"]
    total = sum(e.size_bytes for e in entries) / MB
    print(f"\n{len(artifacts)} artifact(s), {total:.1f} MB in {root}")
    if args.prune:
        return prune([(e, s) for e, s in zip(entries, statuses) if prunable(s)])
    damaged = sum(e.state == "artifact" and s.startswith("damaged") for e, s in zip(entries, statuses))
    leftovers = sum(e.state != "artifact" and prunable(s) for e, s in zip(entries, statuses))
    if leftovers:
        print(
            f"{leftovers} leftover folder(s) of a crash or a removal: `pobench cache --cache {root} --prune` "
            "removes them"
        )
    if args.check and damaged:
        print(
            f"{damaged} damaged artifact(s): a run that needs one rebuilds it; `pobench cache --cache {root} --prune` "
            "removes them now"
        )
        return 1
    return 0


def header(checking: bool) -> list[str]:
    return ["kind", "key", "MB", "built at", "build s", "status" if checking else "note"]


def row(entry: CacheEntry, status: str) -> list[str]:
    meta = entry.meta() or {}
    build_s = meta.get("build_s")
    return [
        entry.kind,
        entry.name,
        f"{entry.size_bytes / MB:.1f}",
        str(meta.get("built_at", "-")),
        f"{build_s:.1f}" if isinstance(build_s, (int, float)) else "-",
        status,
    ]


def prune(doomed: list[tuple[CacheEntry, str]]) -> int:
    if not doomed:
        print("nothing to prune")
        return 0
    for entry, status in doomed:
        remove_entry(entry)
        print(f"removed {entry.kind}/{entry.name} ({status}), {entry.size_bytes / MB:.1f} MB")
    freed = sum(e.size_bytes for e, _ in doomed) / MB
    print(f"pruned {len(doomed)} folder(s), freed {freed:.1f} MB")
    return 0
