"""Every human-readable string of the custody report, in French and English, in one place.

Courts in Mali work in French; partners often read English.  Keeping the two dictionaries side
by side (same keys, checked by a test) lets a translator review the whole report at once.
Dates are formatted here too, with our own month names rather than a locale database, so that
the printed text does not change when a CLDR update changes a separator.
"""

from __future__ import annotations

from datetime import UTC, datetime

TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Rapport de chaîne de possession",
        "subtitle": "Élément {item_id} — affaire {case_id}",
        "generated": "Établi le {time} par le coffre-fort {origin}.",
        "intro": (
            "Ce rapport décrit un élément de preuve conservé dans un coffre-fort chiffré : ce "
            "qu’il est, qui l’a déposé, qui l’a consulté et quand. Chaque affirmation est "
            "vérifiable sans faire confiance à l’organisation qui exploite le serveur : les "
            "empreintes, les signatures et les preuves cryptographiques figurent dans le fichier "
            "JSON joint à ce PDF (custody-report.json)."
        ),
        "s_item": "1. L’élément et ses empreintes",
        "f_item_id": "Identifiant de l’élément",
        "f_case": "Affaire",
        "f_kind": "Nature",
        "kind_media": "média",
        "kind_testimony": "témoignage",
        "f_mode": "Chiffrement",
        "mode_server_sealed": "chiffré par le serveur à la réception",
        "mode_client_sealed": "chiffré sur l’appareil de collecte",
        "f_media_type": "Type de média",
        "f_size": "Taille de l’original",
        "f_bytes": "{n} octets",
        "f_sha256": "SHA-256 de l’original",
        "f_sha1": "SHA-1 de l’original",
        "f_md5": "MD5 de l’original",
        "f_ct_sha256": "SHA-256 du fichier chiffré (age)",
        "f_ct_size": "Taille du fichier chiffré",
        "f_received": "Reçu le",
        "f_uploader": "Déposé par",
        "f_device": "Appareil",
        "f_log_index": "Entrée du journal d’audit",
        "none": "—",
        "s_statement": "2. Déclaration de capture",
        "statement_none": (
            "Aucune déclaration de capture : l’élément a été chiffré par le serveur à sa "
            "réception, qui a calculé lui-même les empreintes ci-dessus."
        ),
        "statement_intro": (
            "L’appareil de collecte a signé (Ed25519) la déclaration suivante avant l’envoi."
        ),
        "f_device_key": "Clé publique de l’appareil",
        "f_statement_sig": "Vérification de la signature",
        "sig_valid": "valide",
        "sig_invalid": "NON VALIDE",
        "s_metadata": "3. Métadonnées scellées",
        "metadata_text": (
            "Le nom de fichier, les données EXIF et les notes sont conservés chiffrés, "
            "séparément. Empreinte SHA-256 de ce bloc scellé :"
        ),
        "metadata_none": "Aucune métadonnée scellée.",
        "s_events": "4. Historique : chaque accès enregistré",
        "events_intro": (
            "Chaque ligne est une entrée du journal d’audit, dont la preuve d’inclusion "
            "(RFC 6962) figure dans le fichier JSON joint."
        ),
        "c_index": "Entrée",
        "c_time": "Date (UTC)",
        "c_actor": "Personne et rôle",
        "c_action": "Action",
        "c_outcome": "Résultat",
        "result_allowed": "autorisé",
        "result_denied": "refusé",
        "anonymous": "anonyme",
        "s_checkpoint": "5. Point de contrôle signé du journal",
        "checkpoint_text": (
            "Le journal comptait {size} entrées lorsque ce point de contrôle a été signé ; "
            "toutes les entrées ci-dessus y sont incluses. Racine de l’arbre de Merkle :"
        ),
        "s_key": "6. Clé publique du journal",
        "key_text": (
            "Obtenez cette clé par un autre canal que ce rapport (site de l’organisation, "
            "greffe, témoin indépendant) et comparez-la caractère par caractère :"
        ),
        "qr_caption": (
            "Le code QR contient l’empreinte SHA-256 de l’original, l’origine du journal, la "
            "taille et la racine du point de contrôle."
        ),
        "s_howto": "7. Comment le vérifier vous-même",
        "howto_intro": (
            "Ces commandes fonctionnent hors ligne, sur n’importe quel ordinateur. "
            "Remplacez les noms en majuscules par vos fichiers."
        ),
        "howto_1": "Extraire le rapport signé (JSON) de ce PDF :",
        "howto_2": (
            "Déchiffrer l’élément avec votre clé age (outil age standard, ou « vault decrypt ») :"
        ),
        "howto_3": "Calculer l’empreinte du fichier et la comparer à celle de la section 1 :",
        "howto_4": (
            "Vérifier signatures, preuves d’inclusion et empreinte en une fois, avec la clé du "
            "journal obtenue séparément :"
        ),
        "howto_5": (
            "Le format du rapport et chaque étape de vérification sont décrits dans "
            "docs/custody-report.md (logiciel libre : chacun peut écrire son propre "
            "vérificateur)."
        ),
        "s_cert": "Attestation d’une personne qualifiée",
        "cert_intro": (
            "Modèle inspiré des règles 902(13) et 902(14) des Federal Rules of Evidence des "
            "États-Unis ; à adapter à la procédure de la juridiction saisie."
        ),
        "cert_body_1": (
            "Je soussigné(e), déclare être une personne qualifiée, du fait de mes fonctions "
            "ou de ma connaissance du système décrit, pour faire la présente attestation."
        ),
        "cert_body_2": (
            "J’atteste que les enregistrements décrits dans ce rapport (élément {item_id}) ont "
            "été produits par un procédé ou système électronique — le coffre-fort de preuves "
            "{origin} — qui produit un résultat exact : il calcule l’empreinte SHA-256 de "
            "chaque élément à sa réception et inscrit chaque accès dans un journal d’audit "
            "signé et vérifiable."
        ),
        "cert_body_3": (
            "J’atteste que l’élément produit a été identifié par son empreinte numérique "
            "SHA-256 {sha256}, et que la copie remise est identique à l’original, son "
            "empreinte étant la même."
        ),
        "cert_body_4": ("Je déclare que ce qui précède est exact et sincère à ma connaissance."),
        "cert_name": "Nom et prénom",
        "cert_title": "Fonction",
        "cert_org": "Organisation",
        "cert_place": "Fait à",
        "cert_date": "Le",
        "cert_signature": "Signature",
        "page": "Page",
        "of": "sur",
    },
    "en": {
        "title": "Chain-of-custody report",
        "subtitle": "Item {item_id} — case {case_id}",
        "generated": "Generated on {time} by the vault {origin}.",
        "intro": (
            "This report describes one item of evidence held in an encrypted vault: what it "
            "is, who deposited it, who looked at it and when. Every statement can be checked "
            "without trusting the organisation that runs the server: the digests, signatures "
            "and cryptographic proofs are in the JSON file attached to this PDF "
            "(custody-report.json)."
        ),
        "s_item": "1. The item and its digests",
        "f_item_id": "Item identifier",
        "f_case": "Case",
        "f_kind": "Kind",
        "kind_media": "media",
        "kind_testimony": "testimony",
        "f_mode": "Encryption",
        "mode_server_sealed": "encrypted by the server on receipt",
        "mode_client_sealed": "encrypted on the collecting device",
        "f_media_type": "Media type",
        "f_size": "Size of the original",
        "f_bytes": "{n} bytes",
        "f_sha256": "SHA-256 of the original",
        "f_sha1": "SHA-1 of the original",
        "f_md5": "MD5 of the original",
        "f_ct_sha256": "SHA-256 of the encrypted file (age)",
        "f_ct_size": "Size of the encrypted file",
        "f_received": "Received on",
        "f_uploader": "Deposited by",
        "f_device": "Device",
        "f_log_index": "Audit log entry",
        "none": "—",
        "s_statement": "2. Capture statement",
        "statement_none": (
            "No capture statement: the item was encrypted by the server on receipt, which "
            "computed the digests above itself."
        ),
        "statement_intro": (
            "The collecting device signed (Ed25519) the following statement before upload."
        ),
        "f_device_key": "Device public key",
        "f_statement_sig": "Signature check",
        "sig_valid": "valid",
        "sig_invalid": "NOT VALID",
        "s_metadata": "3. Sealed metadata",
        "metadata_text": (
            "The filename, EXIF data and notes are kept encrypted, separately. SHA-256 digest "
            "of that sealed block:"
        ),
        "metadata_none": "No sealed metadata.",
        "s_events": "4. History: every recorded access",
        "events_intro": (
            "Each row is an entry of the audit log, whose inclusion proof (RFC 6962) is in the "
            "attached JSON file."
        ),
        "c_index": "Entry",
        "c_time": "Date (UTC)",
        "c_actor": "Person and role",
        "c_action": "Action",
        "c_outcome": "Outcome",
        "result_allowed": "allowed",
        "result_denied": "denied",
        "anonymous": "anonymous",
        "s_checkpoint": "5. Signed checkpoint of the log",
        "checkpoint_text": (
            "The log held {size} entries when this checkpoint was signed; every entry above is "
            "included in it. Merkle tree root:"
        ),
        "s_key": "6. Public key of the log",
        "key_text": (
            "Obtain this key through a channel other than this report (the organisation's "
            "website, the court registry, an independent witness) and compare it character "
            "by character:"
        ),
        "qr_caption": (
            "The QR code holds the original's SHA-256 digest, the log origin, and the "
            "checkpoint's size and root."
        ),
        "s_howto": "7. How to check this yourself",
        "howto_intro": (
            "These commands work offline, on any computer. Replace the names in capitals with "
            "your files."
        ),
        "howto_1": "Extract the signed report (JSON) from this PDF:",
        "howto_2": "Decrypt the item with your age key (standard age tool, or “vault decrypt”):",
        "howto_3": "Compute the file's digest and compare it with the one in section 1:",
        "howto_4": (
            "Check signatures, inclusion proofs and the digest at once, with the log key "
            "obtained separately:"
        ),
        "howto_5": (
            "The report format and every verification step are described in "
            "docs/custody-report.md (free software: anyone can write their own verifier)."
        ),
        "s_cert": "Certification of a qualified person",
        "cert_intro": (
            "Modelled on Rules 902(13) and 902(14) of the US Federal Rules of Evidence; adapt "
            "it to the procedure of the court concerned."
        ),
        "cert_body_1": (
            "I, the undersigned, declare that I am a qualified person, by my position or my "
            "knowledge of the system described, to make this certification."
        ),
        "cert_body_2": (
            "I certify that the records described in this report (item {item_id}) were "
            "generated by an electronic process or system — the evidence vault {origin} — "
            "that produces an accurate result: it computes the SHA-256 digest of each item on "
            "receipt and records every access in a signed, verifiable audit log."
        ),
        "cert_body_3": (
            "I certify that the item produced was identified by its SHA-256 digital "
            "identification (hash value) {sha256}, and that the copy provided is identical "
            "to the original, its hash value being the same."
        ),
        "cert_body_4": "I declare that the foregoing is true and correct to my knowledge.",
        "cert_name": "Full name",
        "cert_title": "Title",
        "cert_org": "Organisation",
        "cert_place": "Place",
        "cert_date": "Date",
        "cert_signature": "Signature",
        "page": "Page",
        "of": "of",
    },
}

#: English and French messages for each verification error code (and the CLI's check lines).

_MONTHS = {
    "fr": [
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ],
    "en": [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ],
}  # fmt: skip


def parse_time(value: str) -> datetime:
    """An RFC 3339 UTC time from the report (already checked by the schema)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def format_time(value: str, lang: str) -> str:
    """``23 novembre 2026 à 15:59:13 UTC`` / ``23 November 2026, 15:59:13 UTC``."""
    t = parse_time(value)
    month = _MONTHS[lang][t.month - 1]
    clock = t.strftime("%H:%M:%S")
    if lang == "fr":
        day = "1er" if t.day == 1 else str(t.day)
        return f"{day} {month} {t.year} à {clock} UTC"
    return f"{t.day} {month} {t.year}, {clock} UTC"


def format_int(n: int, lang: str) -> str:
    """Digits grouped by thousands: a no-break space in French, a comma in English."""
    grouped = f"{n:,}"
    return grouped.replace(",", "\u00a0") if lang == "fr" else grouped
