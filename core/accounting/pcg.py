"""French chart of accounts (Plan comptable général) labels, by longest known prefix.

When a mapped account is missing in a tenant's Pennylane company and the tenant allows it, the
account is created with the label of its PCG class (``5112001`` → "Chèques à encaisser"), so the
accountant sees a meaningful name rather than a bare number. Pure data, no I/O.
"""

from __future__ import annotations

PCG_LABELS: dict[str, str] = {
    # Classe 1 – capitaux
    "1": "Comptes de capitaux",
    "101": "Capital",
    "108": "Compte de l'exploitant",
    "12": "Résultat de l'exercice",
    "164": "Emprunts auprès des établissements de crédit",
    "165": "Dépôts et cautionnements reçus",
    # Classe 2 – immobilisations
    "2": "Comptes d'immobilisations",
    "205": "Concessions, brevets, licences, logiciels",
    "207": "Fonds commercial",
    "215": "Installations techniques, matériel et outillage",
    "218": "Autres immobilisations corporelles",
    "2183": "Matériel de bureau et matériel informatique",
    "28": "Amortissements des immobilisations",
    # Classe 3 – stocks
    "3": "Comptes de stocks et en-cours",
    "31": "Matières premières (et fournitures)",
    "32": "Autres approvisionnements",
    "33": "En-cours de production de biens",
    "35": "Stocks de produits",
    "355": "Produits finis",
    "37": "Stocks de marchandises",
    "39": "Dépréciations des stocks et en-cours",
    # Classe 4 – tiers
    "4": "Comptes de tiers",
    "401": "Fournisseurs",
    "4011": "Fournisseurs – achats de biens et prestations de services",
    "404": "Fournisseurs d'immobilisations",
    "408": "Fournisseurs – factures non parvenues",
    "409": "Fournisseurs débiteurs",
    "4091": "Fournisseurs – avances et acomptes versés sur commandes",
    "411": "Clients",
    "4111": "Clients – ventes de biens ou de prestations de services",
    "413": "Clients – effets à recevoir",
    "416": "Clients douteux ou litigieux",
    "418": "Clients – produits non encore facturés",
    "419": "Clients créditeurs",
    "4191": "Clients – avances reçues (cartes cadeaux)",
    "4198": "Rabais, remises, ristournes à accorder et autres avoirs à établir",
    "421": "Personnel – rémunérations dues",
    "425": "Personnel – avances et acomptes",
    "428": "Personnel – charges à payer et produits à recevoir",
    "4286": "Personnel – pourboires à reverser",
    "431": "Sécurité sociale",
    "44": "État et autres collectivités publiques",
    "445": "État – taxes sur le chiffre d'affaires",
    "4452": "TVA due intracommunautaire",
    "4455": "Taxes sur le chiffre d'affaires à décaisser",
    "44551": "TVA à décaisser",
    "4456": "Taxes sur le chiffre d'affaires déductibles",
    "44566": "TVA sur autres biens et services",
    "4457": "Taxes sur le chiffre d'affaires collectées par l'entreprise",
    "44571": "TVA collectée",
    "445711": "TVA collectée 20 %",
    "445712": "TVA collectée 10 %",
    "445713": "TVA collectée 5,5 %",
    "445714": "TVA collectée 2,1 %",
    "4458": "Taxes sur le chiffre d'affaires à régulariser ou en attente",
    "44587": "Taxes sur le chiffre d'affaires sur factures à établir",
    "455": "Associés – comptes courants",
    "467": "Autres comptes débiteurs ou créditeurs",
    "471": "Compte d'attente",
    "472": "Compte d'attente",
    "473": "Compte d'attente",
    "486": "Charges constatées d'avance",
    "487": "Produits constatés d'avance",
    # Classe 5 – financiers
    "5": "Comptes financiers",
    "511": "Valeurs à l'encaissement",
    "5111": "Coupons échus à l'encaissement",
    "5112": "Chèques à encaisser",
    "51121": "Titres-restaurant à encaisser",
    "51122": "Chèques-vacances à encaisser",
    "5113": "Effets à l'encaissement",
    "5114": "Effets à l'escompte",
    "5115": "Cartes bancaires à encaisser (pratique)",
    "5116": "Paiements en ligne à encaisser (pratique)",
    "512": "Banques",
    "5121": "Comptes en euros",
    "5124": "Comptes en devises",
    "514": "Chèques postaux",
    "517": "Autres organismes financiers",
    "53": "Caisse",
    "530": "Caisse",
    "531": "Caisse siège social",
    "532": "Caisse succursale",
    "58": "Virements internes",
    "580": "Virements internes",
    "581": "Virements de fonds",
    # Classe 6 – charges
    "6": "Comptes de charges",
    "60": "Achats (sauf 603)",
    "601": "Achats stockés – matières premières (et fournitures)",
    "602": "Achats stockés – autres approvisionnements",
    "603": "Variations des stocks (approvisionnements et marchandises)",
    "6031": "Variation des stocks de matières premières (et fournitures)",
    "6032": "Variation des stocks des autres approvisionnements",
    "6037": "Variation des stocks de marchandises",
    "604": "Achats d'études et prestations de services",
    "606": "Achats non stockés de matière et fournitures",
    "607": "Achats de marchandises",
    "6097": "Rabais, remises et ristournes obtenus sur achats de marchandises",
    "61": "Services extérieurs",
    "622": "Rémunérations d'intermédiaires et honoraires",
    "6278": "Autres frais et commissions sur prestations de services",
    "627": "Services bancaires et assimilés",
    "641": "Rémunérations du personnel",
    "658": "Charges diverses de gestion courante",
    "6588": "Charges diverses de gestion courante – écarts de règlement",
    "665": "Escomptes accordés",
    "668": "Autres charges financières",
    "67": "Charges exceptionnelles",
    # Classe 7 – produits
    "7": "Comptes de produits",
    "70": "Ventes de produits fabriqués, prestations de services, marchandises",
    "701": "Ventes de produits finis",
    "704": "Travaux",
    "706": "Prestations de services",
    "707": "Ventes de marchandises",
    "7071": "Ventes de marchandises – France",
    "7072": "Ventes de marchandises – Union européenne (OSS)",
    "7073": "Ventes de marchandises – export",
    "708": "Produits des activités annexes",
    "7085": "Ports et frais accessoires facturés",
    "7088": "Autres produits d'activités annexes",
    "709": "Rabais, remises et ristournes accordés par l'entreprise",
    "7097": "Rabais, remises et ristournes sur ventes de marchandises",
    "713": "Variation des stocks (en-cours de production, produits)",
    "758": "Produits divers de gestion courante",
    "7588": "Produits divers de gestion courante – écarts de règlement",
    "765": "Escomptes obtenus",
    "77": "Produits exceptionnels",
}


def label_for(number: str) -> str:
    """The PCG label of ``number`` by its longest known prefix (``"5115"`` → cards to cash).

    Raises ``ValueError`` for something that is not an account number of classes 1–7, because
    creating an account with a made-up label would hide a mapping mistake.
    """
    number = str(number).strip()
    if not number or not number[0].isdigit() or number[0] not in "1234567":
        raise ValueError(f"{number!r} is not a PCG account number of classes 1 to 7")
    for length in range(len(number), 0, -1):
        label = PCG_LABELS.get(number[:length])
        if label is not None:
            return label
    raise ValueError(f"{number!r} has no known PCG class")  # unreachable: every class 1–7 is listed
