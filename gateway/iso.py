"""ISO code lists the gateway validates against.

Currencies: the ISO 4217 list of the ``iso4217`` package (the one that gives
``contracts.money`` its exponents, kept current with ISO's amendments): the
codes with a minor unit (funds codes included; precious metals, bond units,
SDR and test codes have none) but the Arab Monetary Fund's unit of account,
and the codes withdrawn since this list was last kept by hand, which a store
may still be created in: the same codes as the hand-kept list of 2026-12.
Countries: ISO 3166-1 alpha-2.
"""
from iso4217 import Currency

UNITS_OF_ACCOUNT = frozenset({"XAD"})
WITHDRAWN_CURRENCIES = frozenset({"ANG", "BGN", "CUC", "SLL", "ZWL"})

CURRENCIES = (frozenset(c.code for c in Currency if c.exponent is not None)
              - UNITS_OF_ACCOUNT) | WITHDRAWN_CURRENCIES

COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM
BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX
CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG
GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR
IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV
LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE
NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF
WS YE YT ZA ZM ZW
""".split())
