"""Pennylane's VAT codes (``vat_rate``) and country codes, as the Company API v2 enumerates them.

These are the enum values of the official spec (``products``/invoice lines: 172 codes; ledger
accounts: 150 codes plus ``any``). They are data the emulator needs to enforce Pennylane's rules
*without* the spec file (the demo runs without ../shared/specs). The code format is
``<COUNTRY>_<rate × 10>`` (``FR_200`` = 20 %, ``FR_55`` = 5.5 %), with a few special codes.
"""

from __future__ import annotations

from decimal import Decimal

# Products, customer/supplier invoice lines (172 codes).
PRODUCT_VAT_CODES: frozenset[str] = frozenset((
    'FR_1_05', 'FR_1_75', 'FR_09', 'FR_21', 'FR_40', 'FR_50', 'FR_55', 'FR_60', 'FR_65', 'FR_85',
    'FR_92', 'FR_100', 'FR_130', 'FR_15_385', 'FR_160', 'FR_196', 'FR_200', 'AD_10', 'AD_45',
    'AD_95', 'AT_100', 'AT_130', 'AT_190', 'AT_200', 'BE_60', 'BE_120', 'BE_210', 'BG_90', 'BG_200',
    'CH_25', 'CH_37', 'CH_77', 'CH_26', 'CH_38', 'CH_81', 'CY_30', 'CY_50', 'CY_80', 'CY_90',
    'CY_190', 'CZ_100', 'CZ_120', 'CZ_150', 'CZ_210', 'DE_70', 'DE_190', 'DK_250', 'EE_90',
    'EE_200', 'EE_220', 'EE_240', 'ES_40', 'ES_70', 'ES_100', 'ES_210', 'FI_100', 'FI_135',
    'FI_140', 'FI_240', 'FI_255', 'GB_50', 'GB_200', 'GR_60', 'GR_130', 'GR_170', 'GR_240', 'GR_40',
    'HR_50', 'HR_130', 'HR_250', 'HU_50', 'HU_180', 'HU_270', 'IE_48', 'IE_90', 'IE_135', 'IE_210',
    'IE_230', 'IT_40', 'IT_50', 'IT_100', 'IT_220', 'LT_50', 'LT_90', 'LT_120', 'LT_210', 'LU_30',
    'LU_70', 'LU_80', 'LU_120', 'LU_130', 'LU_140', 'LU_160', 'LU_170', 'LV_50', 'LV_120', 'LV_210',
    'MC_09', 'MC_21', 'MC_55', 'MC_85', 'MC_100', 'MC_200', 'MT_50', 'MT_70', 'MT_120', 'MT_180',
    'MU_150', 'NL_90', 'NL_210', 'PL_50', 'PL_80', 'PL_230', 'PT_60', 'PT_130', 'PT_160', 'PT_180',
    'PT_220', 'PT_230', 'RO_50', 'RO_90', 'RO_110', 'RO_190', 'RO_210', 'SE_60', 'SE_120', 'SE_250',
    'SI_50', 'SI_95', 'SI_220', 'SK_50', 'SK_100', 'SK_190', 'SK_200', 'SK_230', 'NO_120', 'NO_150',
    'NO_250', 'DE_70_BU0002', 'DE_190_BU0003', 'DE_70_BU0008', 'DE_190_BU0009',
    'DE_intracom_70_BU0012', 'DE_intracom_190_BU0013', 'DE_190_electronic_BU0226', 'exempt',
    'DE_intracom_exempt_BU0011', 'DE_intracom_exempt_BU0047', 'DE_exempt_BU0001',
    'DE_exempt_BU0181', 'DE_exempt_BU0490', 'intracom_21', 'intracom_55', 'intracom_85',
    'intracom_100', 'crossborder', 'DE_intracom_70_BU0018', 'DE_intracom_190_BU0019',
    'DE_intracom_190_BU0506', 'extracom', 'DE_extracom_BU0173', 'DE_extracom_BU0191',
    'DE_extracom_190_BU0511', 'FR_85_construction', 'FR_100_construction', 'FR_200_construction',
    'DE_exempt_construction_BU0046', 'DE_70_construction_BU0091', 'DE_190_construction_BU0094',
    'DE_190_construction_BU0526', 'DE_190_construction_BU0546', 'mixed',
))

# Ledger accounts (150 codes, incl. "any").
LEDGER_ACCOUNT_VAT_CODES: frozenset[str] = frozenset((
    'FR_1_05', 'FR_1_75', 'FR_09', 'FR_21', 'FR_40', 'FR_50', 'FR_55', 'FR_60', 'FR_65', 'FR_85',
    'FR_92', 'FR_100', 'FR_130', 'FR_15_385', 'FR_160', 'FR_196', 'FR_200', 'AD_10', 'AD_45',
    'AD_95', 'AT_100', 'AT_130', 'AT_190', 'AT_200', 'BE_60', 'BE_120', 'BE_210', 'BG_90', 'BG_200',
    'CH_25', 'CH_37', 'CH_77', 'CH_26', 'CH_38', 'CH_81', 'CY_30', 'CY_50', 'CY_80', 'CY_90',
    'CY_190', 'CZ_100', 'CZ_120', 'CZ_150', 'CZ_210', 'DE_70', 'DE_190', 'DK_250', 'EE_90',
    'EE_200', 'EE_220', 'EE_240', 'ES_40', 'ES_70', 'ES_100', 'ES_210', 'FI_100', 'FI_135',
    'FI_140', 'FI_240', 'FI_255', 'GB_50', 'GB_200', 'GR_60', 'GR_130', 'GR_170', 'GR_240', 'GR_40',
    'HR_50', 'HR_130', 'HR_250', 'HU_50', 'HU_180', 'HU_270', 'IE_48', 'IE_90', 'IE_135', 'IE_210',
    'IE_230', 'IT_40', 'IT_50', 'IT_100', 'IT_220', 'LT_50', 'LT_90', 'LT_120', 'LT_210', 'LU_30',
    'LU_70', 'LU_80', 'LU_120', 'LU_130', 'LU_140', 'LU_160', 'LU_170', 'LV_50', 'LV_120', 'LV_210',
    'MC_09', 'MC_21', 'MC_55', 'MC_85', 'MC_100', 'MC_200', 'MT_50', 'MT_70', 'MT_120', 'MT_180',
    'MU_150', 'NL_90', 'NL_210', 'PL_50', 'PL_80', 'PL_230', 'PT_60', 'PT_130', 'PT_160', 'PT_180',
    'PT_220', 'PT_230', 'RO_50', 'RO_90', 'RO_110', 'RO_190', 'RO_210', 'SE_60', 'SE_120', 'SE_250',
    'SI_50', 'SI_95', 'SI_220', 'SK_100', 'SK_190', 'SK_200', 'SK_230', 'SK_50', 'NO_120', 'NO_150',
    'NO_250', 'exempt', 'intracom_21', 'intracom_55', 'intracom_85', 'intracom_100', 'crossborder',
    'extracom', 'FR_85_construction', 'FR_100_construction', 'FR_200_construction', 'any', 'mixed',
))

# Ledger account country_alpha2.
LEDGER_ACCOUNT_COUNTRIES: frozenset[str] = frozenset((
    'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT',
    'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK', 'GB', 'MC', 'CH', 'AD', 'MU',
    'NO', 'XK', 'any',
))


def rate_percent(code: str) -> Decimal:
    """The VAT rate in percent a code stands for (``FR_200`` → 20, ``FR_1_05`` → 1.05).

    Special codes (exempt, intracom, extracom, crossborder, mixed) count as 0 for price totals:
    the VAT is self-assessed or not French.
    """
    parts = code.split("_")
    if len(parts) < 2 or not parts[0].isalpha() or len(parts[0]) != 2 or not parts[1].isdigit():
        return Decimal(0)
    if len(parts) >= 3 and parts[2].isdigit():  # FR_1_05 -> 1.05, FR_15_385 -> 15.385
        return Decimal(f"{int(parts[1])}.{parts[2]}")
    return Decimal(int(parts[1])) / 10
