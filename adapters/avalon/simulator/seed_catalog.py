"""Seed collections, vocabulary and supplemental files of the Avalon simulator.

Collections 1r66j1149 and d791sg31t and the vocabulary are the API document's examples;
jh343s44s is the collection its create example posts to, named after the object that
example creates; p8418n203 stands in for "7.0 testing", whose id the document omits.
Supplemental files 131 and 141 are the document's listing example; 151 is a generic file
on the public media object gt54kn04s.
"""

from __future__ import annotations

from adapters.avalon.simulator.state import Collection, Json, SupplementalFile

IU = "Indiana University Libraries"


def collections() -> list[Collection]:
    return [
        Collection(
            id="1r66j1149",
            name="100 sec test",
            unit=IU,
            managers=["archivist1@example.com", "saidulla@iu.edu", "manager-cjc@example.com"],
            depositors=["cjcolvar"],
        ),
        Collection(
            id="d791sg31t",
            name="2882 mallorn",
            unit=IU,
            description="",
            managers=["saidulla@iu.edu"],
            editors=["editor@example.com"],
        ),
        Collection(
            id="jh343s44s", name="Krishna_Ptest", unit=IU, managers=["archivist1@example.com"]
        ),
        Collection(
            id="p8418n203",
            name="7.0 testing",
            unit="Default Unit",
            managers=["archivist1@example.com"],
        ),
    ]


def supplemental_files() -> list[SupplementalFile]:
    vtt = b"WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.000\nHipparchus\n"
    return [
        SupplementalFile(
            id=131,
            parent_id="ns064602j",
            label="Hipparchus (146 to 127 B.C.).vtt",
            language="eng",
            tags=["caption", "transcript", "machine_generated"],
            content=vtt,
            content_type="text/vtt",
            filename="Hipparchus (146 to 127 B.C.).vtt",
        ),
        SupplementalFile(
            id=141,
            parent_id="ns064602j",
            label="Labelforit.vtt",
            language="fre",
            tags=["transcript", "machine_generated"],
            content=b"WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.000\nBonjour\n",
            content_type="text/vtt",
            filename="Labelforit.vtt",
        ),
        SupplementalFile(
            id=151,
            parent_id="gt54kn04s",
            label="Program notes",
            language="eng",
            content=b"Program notes for the open lecture.\n",
            content_type="text/plain",
            filename="program-notes.txt",
        ),
    ]


def vocabulary() -> Json:
    rights = "http://rightsstatements.org/vocab/"
    return {
        "units": [IU, "Default Unit"],
        "identifier_types": {
            "local": "Catalog Key",
            "oclc": "OCLC",
            "lccn": "LCCN",
            "issue number": "Issue Number",
            "matrix number": "Matrix Number",
            "music publisher": "Music Publisher/Label",
            "videorecording identifier": "Videorecording Identifier",
            "other": "Other",
        },
        "note_types": {
            "general": "General Note",
            "awards": "Awards",
            "biographical/historical": "Bibliographical/Historical Note",
            "creation/production credits": "Creation/Production Credits",
            "language": "Language Note",
            "local": "Local Note",
            "performers": "Performers",
            "statement of responsibility": "Statement of Responsibility",
            "venue": "Venue/Event Date",
        },
        "rights_statements": {
            f"{rights}InC/1.0/": "In Copyright",
            f"{rights}InC-OW-EU/1.0/": "In Copyright - EU Orphan Work",
            f"{rights}InC-EDU/1.0/": "In Copyright - Educational Use Permitted",
            f"{rights}InC-NC/1.0/": "In Copyright - Non-Commercial Use Permitted",
            f"{rights}InC-RUU/1.0/": "In Copyright - Rights-Holders Unlocatable or Unidentifiable",
            f"{rights}NoC-CR/1.0/": "No Copyright - Contractual Restrictions",
            f"{rights}NoC-NC/1.0/": "No Copyright - Non-Commercial Use Only",
            f"{rights}NoC-OKLR/1.0/": "No Copyright - Other Known Legal Restrictions",
            f"{rights}NoC-US/1.0/": "No Copyright - United States",
            f"{rights}CNE/1.0/": "Copyright Not Evaluated",
            f"{rights}UND/1.0/": "Copyright Undetermined",
            f"{rights}NKC/1.0/": "No Known Copyright",
        },
    }
