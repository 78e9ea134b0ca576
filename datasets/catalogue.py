"""The SNAP graphs asapgraph knows by name: where each comes from, how to verify it, how to read it.

The first ten are the graphs of the shared mirror (``/work/shared/datasets/snap``): their file
names, sizes and sha256 are that mirror's (MANIFEST.tsv), so a folder holding those files serves
them without a download. Six of those copies are not SNAP's own bytes (SNAP serves ``.txt.gz``;
the mirror keeps the text, or recompressed it): for them ``mirror_only`` says that the checksum
verifies the mirror's copy, and a download from SNAP is kept under SNAP's file name, unverified.
The larger graphs are SNAP's downloads with the counts SNAP states and no checksum known yet.
"""

from __future__ import annotations

from dataclasses import dataclass

SNAP_BASE_URL = "https://snap.stanford.edu/data/"


@dataclass(frozen=True)
class Dataset:
    """One SNAP graph.

    ``edges`` counts the edge lines of the file (what its header states), so a graph stored with
    both directions of every edge counts each twice. ``directed`` is what SNAP states;
    ``undirected`` is how to read it: true for SNAP's undirected graphs and for the ones whose
    header says "Directed" but that list every edge both ways (ca-*, email-Enron, roadNet-*).
    """

    name: str
    filename: str
    url: str
    size: int | None
    sha256: str | None
    nodes: int
    edges: int
    directed: bool
    undirected: bool = False
    mirror_only: bool = False

    @property
    def download_name(self) -> str:
        """The name SNAP's download is stored under (``filename`` unless ``mirror_only``)."""
        return self.url.rsplit("/", 1)[-1]

    @property
    def download_size(self) -> int | None:
        """Bytes a download from ``url`` must have, when known."""
        return None if self.mirror_only else self.size

    @property
    def download_sha256(self) -> str | None:
        """sha256 a download from ``url`` must have, when known."""
        return None if self.mirror_only else self.sha256

    @property
    def verification(self) -> str:
        """What a download is checked against: ``sha256``, ``size``, ``mirror`` or nothing."""
        if self.mirror_only:
            return "mirror"
        if self.sha256:
            return "sha256"
        return "size" if self.size is not None else "unverified"


def _snap(path: str) -> str:
    return SNAP_BASE_URL + path


def _shared(name: str, filename: str, size: int, sha256: str, nodes: int, edges: int, *,
            directed: bool = True, undirected: bool = False, mirror_only: bool = False) -> Dataset:
    """A graph of the shared mirror; SNAP serves it as ``NAME.txt.gz``."""
    return Dataset(name, filename, _snap(f"{name}.txt.gz"), size, sha256, nodes, edges, directed,
                   undirected=undirected, mirror_only=mirror_only)


def _large(name: str, path: str, nodes: int, edges: int, *, directed: bool = True,
           undirected: bool = False) -> Dataset:
    """A SNAP download whose size and checksum are not recorded yet."""
    return Dataset(name, path.rsplit("/", 1)[-1], _snap(path), None, None, nodes, edges, directed,
                   undirected=undirected or not directed)


CATALOGUE: tuple[Dataset, ...] = (
    _shared("ca-GrQc", "ca-GrQc.txt", 351704,
            "f8ce6e931e068b878044b783da99ef603f566c87bcbce7991cd53720879f1660",
            5242, 28980, undirected=True, mirror_only=True),
    _shared("facebook_combined", "facebook_combined.txt.gz", 218575,
            "7cc432d08910b3a940ce90f7da94c13aaf048b04724eafcdf3050b28acc49daf",
            4039, 88234, directed=False, undirected=True),
    _shared("wiki-Vote", "wiki-Vote.txt", 1095061,
            "d2afbedf262126f820c6b3dd9f39a6d68e6f5ea839c0508297032ca77578b28a",
            7115, 103689, mirror_only=True),
    _shared("p2p-Gnutella08", "p2p-Gnutella08.txt.gz", 63491,
            "cb3019062be21e55b03f19a73e88edf34693bafb68ae581621cc7a037fa604a9",
            6301, 20777),
    _shared("p2p-Gnutella31", "p2p-Gnutella31.txt", 1853047,
            "5fb68245ef65448023bd753adb5a71b672eda2ed59e6a5c7457a6168dc59c471",
            62586, 147892, mirror_only=True),
    _shared("email-Enron", "email-Enron.txt.gz", 1054970,
            "e4611471ed181699b36e2aafc313e077fb25d16ed67ec5a81591eb8d8b40a5bc",
            36692, 367662, undirected=True),
    _shared("ca-HepTh", "ca-HepTh.txt", 658827,
            "3afc8f5d8ee0dcc21741b1c32f6a975361f45b68820fc9147584f272b4ec5ffc",
            9877, 51971, undirected=True, mirror_only=True),
    # The mirror's ca-HepPh.txt.gz is SNAP's text recompressed (gzip -9 -n), not SNAP's .gz.
    _shared("ca-HepPh", "ca-HepPh.txt.gz", 818468,
            "8fcc3d1377e413b20f88d0f7d7f7b1b01cf73351b53a039e06628c4546b6df85",
            12008, 237010, undirected=True, mirror_only=True),
    _shared("ca-CondMat", "ca-CondMat.txt", 2232995,
            "03a0e6e6ed84e867c9f34c8989bdb4c73c5cebc549b4b9411c97efbbdab55f08",
            23133, 186936, undirected=True, mirror_only=True),
    _shared("email-Eu-core", "email-Eu-core.txt.gz", 79754,
            "4b47acdb80197b085fe63c819c357ae488131ee904ed93d1b219a68b0f9e245f",
            1005, 25571),
    _large("cit-HepPh", "cit-HepPh.txt.gz", 34546, 421578),
    _large("soc-Epinions1", "soc-Epinions1.txt.gz", 75879, 508837),
    _large("soc-Slashdot0902", "soc-Slashdot0902.txt.gz", 82168, 948464),
    _large("amazon0302", "amazon0302.txt.gz", 262111, 1234877),
    _large("web-Stanford", "web-Stanford.txt.gz", 281903, 2312497),
    _large("web-Google", "web-Google.txt.gz", 875713, 5105039),
    _large("wiki-Talk", "wiki-Talk.txt.gz", 2394385, 5021410),
    _large("roadNet-CA", "roadNet-CA.txt.gz", 1965206, 5533214, undirected=True),
    _large("com-LiveJournal", "bigdata/communities/com-lj.ungraph.txt.gz", 3997962, 34681189,
           directed=False),
    _large("soc-LiveJournal1", "soc-LiveJournal1.txt.gz", 4847571, 68993773),
    _large("com-Orkut", "bigdata/communities/com-orkut.ungraph.txt.gz", 3072441, 117185083,
           directed=False),
)

_BY_NAME = {entry.name.lower(): entry for entry in CATALOGUE}


def names() -> list[str]:
    """Every catalogued dataset name, in catalogue order."""
    return [entry.name for entry in CATALOGUE]


def lookup(name: str) -> Dataset:
    """The catalogue entry called ``name`` (case-insensitive); KeyError names the unknown one."""
    try:
        return _BY_NAME[name.lower()]
    except KeyError:
        raise KeyError(
            f"unknown dataset {name!r}; `asapgraph datasets list` shows the catalogue"
        ) from None
