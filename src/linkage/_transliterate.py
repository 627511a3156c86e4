"""Script detection and transliteration of name words to a comparable lower-case Latin form.

Contract
--------
``script_of(ch)`` names the script of one character (``"arabic"``, ``"ethiopic"``,
``"cyrillic"`` or ``"other"``); ``transliterate(run, script)`` turns a run of letters (and
combining marks) of one script into lower-case Latin letters. Both are pure, total functions:
they never raise, and characters they do not know are passed through unchanged (a later step
keeps only letters).

Rules
-----
* **Arabic script** (Arabic, Persian, Pashto, Urdu, Kurdish Sorani): a word of a title list is
  dropped; the article ``ال`` (bare alef: ``ألوف`` keeps its ``al``) is removed (``الحسن`` ->
  ``hassan``; not in ``الله``, ``الياس``, ...); a word that starts with ``عبد`` is read as ``abd`` + the rest (``abdul`` + the rest when
  that starts with a vowel: ``عبدالعزيز`` -> ``abdulaziz``), one that ends in ``الله``, ``الدين``
  or ``زاده`` as the stem + ``ullah`` / ``uddin`` / ``zadeh``. A frequent name word found in the
  vocalisation table (:data:`~linkage._name_tables.VOCALISED_TEXT`) gets its usual Latin
  spelling (``محمد`` -> ``mohammad``), because the script writes no short vowels. Any other word
  is transliterated letter by letter: consonants by a fixed table (``ث`` th, ``خ`` kh, ``ذ`` dh,
  ``ش`` sh, ``غ`` gh, ``ق`` q, Persian ``پ چ ژ گ`` p ch zh g, ...); an initial alef or ``ع`` is
  ``a`` (``إ`` is ``i``), other ``ع`` are silent consonants (``مصعب`` -> ``masab``) and hamza is
  dropped; ``و``/``ي`` are the consonants
  ``w``/``y`` at the start of a word, beside an alef or before a vowel letter, else the long
  vowels ``u``/``i``; ``ى`` and ``ة`` (and a final ``ه`` after a consonant, the usual spelling of
  ta marbuta and of Persian final ``-e``) are ``a``; written vowel signs are read, shadda doubles
  a consonant (sukun keeps a consonant vowel-less). Short vowels that are not written are
  guessed by syllables (``CV`` and ``CVC``, the Arabic syllable shapes) rather than between every
  two consonants: a consonant that starts the word or follows a closed syllable and is followed
  by another consonant gets an ``a`` (the commonest short vowel), a consonant after a vowel
  closes its syllable, and a word does not end in two consonants (``a`` goes before the last)
  unless a sukun or a shadda is written:
  ``رستم`` -> ``rastam`` (Rustam; not ``rasatam``), ``مجتبی`` -> ``majtabi``, ``حسن`` -> ``hasan``,
  ``إسلام`` -> ``islam``.
* **Ethiopic** (Tigrinya, Amharic): each syllable is its consonant plus the vowel of its order
  (1st ``e``, 2nd ``u``, 3rd ``i``, 4th ``a``, 5th ``e``, 6th none, 7th ``o``; after the
  glottal/pharyngeal ``አ``/``ዐ`` the 1st order is ``a`` and the 6th ``i``); labialised forms add
  ``w``. ``ተስፋይ`` -> ``tesfay``, ``ገብረማርያም`` -> ``gebremaryam``.
* **Cyrillic**: the Ukrainian national transliteration (2010), also for Russian words unless they
  contain a letter only Russian has (``ы э ё ъ``), then ICAO Russian: ``Олександр`` ->
  ``oleksandr``, ``Фёдор`` -> ``fedor`` (``Сергей``, with no Russian-only letter, is ``serhei``).
"""

from __future__ import annotations

import functools
import unicodedata

from ._name_tables import (
    ARABIC_ALEFS,
    ARABIC_CONSONANTS,
    ARABIC_HARAKAT,
    ARABIC_NO_ARTICLE,
    ARABIC_SHADDA,
    ARABIC_TITLES,
    ARABIC_VOWEL_LETTERS,
    VOCALISED_TEXT,
)

__all__ = ["script_of", "transliterate"]

#: Guess the unwritten short vowel ``a`` by syllables (see the module docstring).
EPENTHESIS = True


def script_of(ch: str) -> str:
    """``"arabic"``, ``"ethiopic"``, ``"cyrillic"`` or ``"other"`` for one character."""
    cp = ord(ch)
    if 0x0600 <= cp <= 0x08FF or 0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFF:
        return "arabic"
    if 0x1200 <= cp <= 0x139F or 0x2D80 <= cp <= 0x2DDF or 0xAB00 <= cp <= 0xAB2F:
        return "ethiopic"
    if 0x0400 <= cp <= 0x052F or 0x1C80 <= cp <= 0x1C8F or 0x2DE0 <= cp <= 0x2DFF or 0xA640 <= cp <= 0xA69F:
        return "cyrillic"
    return "other"


def transliterate(run: str, script: str) -> str:
    """Latin form of a run of one script's letters (titles give ``""``)."""
    if script == "arabic":
        return _arabic_word(run)
    if script == "ethiopic":
        return "".join(_ETHIOPIC.get(ch, "") for ch in run)
    if script == "cyrillic":
        return _cyrillic_word(run)
    return run


# ------------------------------------------------------------------------------------ Arabic

_LOOSE = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك",
                        "ۀ": "ه", "ؤ": "و", "ئ": "ي", "\u0640": None})
_MARKS = {chr(c) for c in range(0x064B, 0x0660)} | {"\u0670", "\u06D6", "\u06E1"}


def _loose(word: str) -> str:
    """The spelling used as a table key: hamza carriers, ta marbuta and yeh forms folded, marks dropped."""
    return "".join(ch for ch in word.translate(_LOOSE) if ch not in _MARKS)


def _vocalised() -> dict[str, str]:
    table = {}
    for line in VOCALISED_TEXT.strip().splitlines():
        arabic, latin = line.split()
        table[_loose(arabic)] = latin
    return table


_VOCALISED = _vocalised()


@functools.lru_cache(maxsize=1 << 14)
def _arabic_word(word: str) -> str:
    key = _loose(word)
    if key in ARABIC_TITLES or not key:
        return ""
    if key in _VOCALISED:
        return _VOCALISED[key]
    if key.startswith("ال") and len(key) > 3 and key not in ARABIC_NO_ARTICLE and _bare_alef_first(word):
        return _arabic_word(_after_prefix(word, 2))
    if key.startswith("عبد") and len(key) > 4:
        rest = _arabic_word(_after_prefix(word, 3))
        # Before a vowel the article is spelled out: "abdaziz" would read as abd-a-ziz.
        return ("abdul" if rest[:1] in ("a", "e", "i", "o", "u") else "abd") + rest
    if key.endswith("الله") and len(key) > 5:
        return _arabic_letters(_before_suffix(word, 4)) + "ullah"
    if key.endswith("الدين") and len(key) > 6:
        return _arabic_word(_before_suffix(word, 5)) + "uddin"
    if key.endswith("زاده") and len(key) > 5:
        return _arabic_word(_before_suffix(word, 4)) + "zadeh"
    return _arabic_letters(word)


def _bare_alef_first(word: str) -> bool:
    """Whether the word starts with a bare alef (or alef wasla), the spelling of the article;
    ``أل``/``إل``/``آل`` with a hamza or madda are a word's own letters (``ألوف``, ``آل``)."""
    first = next((ch for ch in word if ch not in _MARKS and ch != "\u0640"), "")
    return first in "اٱ"


def _after_prefix(word: str, letters: int) -> str:
    """``word`` without its first ``letters`` base letters (marks and tatweel do not count)."""
    seen = 0
    for i, ch in enumerate(word):
        if ch in _MARKS or ch == "\u0640":
            continue
        if seen == letters:
            return word[i:]
        seen += 1
    return ""


def _before_suffix(word: str, letters: int) -> str:
    seen = 0
    for i in range(len(word) - 1, -1, -1):
        if word[i] in _MARKS or word[i] == "\u0640":
            continue
        seen += 1
        if seen == letters:
            return word[:i]
    return ""


def _arabic_letters(word: str) -> str:
    """Letter-by-letter transliteration (see the module docstring)."""
    letters = [ch for ch in word if ch != "\u0640"]
    base = [i for i, ch in enumerate(letters) if ch not in _MARKS]
    out: list[str] = []
    # Syllable state of the last letter: "vowel" (a vowel written or guessed), "coda" (a
    # consonant after a vowel) or "onset" (a consonant that still needs a vowel after it:
    # at the start of the word, or after a coda).
    state = "onset_start"
    last_onset = -1  # index in ``out`` where the pending onset consonant starts
    sukun_before = False  # the consonant before the pending onset has a written sukun
    sukun = False
    for pos, i in enumerate(base):
        ch = letters[i]
        prev = letters[base[pos - 1]] if pos else ""
        nxt = letters[base[pos + 1]] if pos + 1 < len(base) else ""
        first, final = pos == 0, pos + 1 == len(base)
        marks = letters[i + 1 : base[pos + 1] if pos + 1 < len(base) else len(letters)]
        sound, consonant = _arabic_sound(ch, prev, nxt, first, final)
        if consonant:
            if EPENTHESIS and state in ("onset", "onset_start") and pos:
                out.append("a")  # the pending onset gets the commonest short vowel
                state = "coda"
            elif state == "coda":
                state = "onset"
                sukun_before = sukun
            else:
                state = "coda"
            if pos == 0:
                state = "onset_start"
            last_onset = len(out)
        out.append(sound)
        vowel_mark = ""
        sukun = False
        for mark in marks:
            if mark == ARABIC_SHADDA and consonant:
                out.append(sound)
                state = "onset"
                last_onset = len(out) - 1
                sukun_before = True  # a final geminate is not split by a vowel (حجّ -> hajj)
            elif mark in ARABIC_HARAKAT:
                vowel_mark = ARABIC_HARAKAT[mark]
            elif mark == "\u0652":
                sukun = True
        out.append(vowel_mark)
        if vowel_mark or not consonant:
            state = "vowel" if (vowel_mark or sound) else state
        elif sukun:
            state = "coda"
        elif not sound and state == "onset_start":
            state = "vowel"
    if EPENTHESIS and state == "onset" and last_onset > 0 and not sukun_before:
        out.insert(last_onset, "a")  # no final cluster: CVCaC (hasan, not hasn)
    return "".join(out)


def _arabic_sound(ch: str, prev: str, nxt: str, first: bool, final: bool) -> tuple[str, bool]:
    """(Latin letters, is a consonant) for one Arabic-script letter in its context."""
    if ch in ARABIC_CONSONANTS:
        return ARABIC_CONSONANTS[ch], True
    if ch == "ه" or ch == "ہ":
        if final and prev and prev not in ARABIC_VOWEL_LETTERS:
            return "a", False
        return "h", True
    if ch == "ة":
        return ("a" if final else "at"), False
    if ch in ARABIC_ALEFS:
        if ch == "إ":
            return "i", False
        return "a", False
    if ch == "ع":
        if first:
            return ("" if nxt in ARABIC_ALEFS else "a"), False
        return "", True  # silent in Latin spellings, but a consonant: a vowel goes before it (مصعب -> masab)
    if ch in "ءؤ":
        return ("u" if ch == "ؤ" else ""), False
    if ch == "ئ":
        return ("" if first else "i"), False
    if ch == "ى":
        return "a", False
    if ch in "وۆ":
        if first or prev in ARABIC_ALEFS or nxt in ARABIC_ALEFS or nxt == "ى":
            return "w", True
        return ("o" if ch == "ۆ" else "u"), False
    if ch in "يیېۍےێ":
        if first or prev in ARABIC_ALEFS or nxt in ARABIC_ALEFS or (nxt and nxt in "وى"):
            return "y", True
        return ("e" if ch in "ېےێ" else "i"), False
    if ch in "ەۀ":
        return "e", False
    base = unicodedata.normalize("NFKD", ch)[:1]
    if base != ch and script_of(base) == "arabic":
        return _arabic_sound(base, prev, nxt, first, final)
    return "", False  # a letter this table does not know


# ---------------------------------------------------------------------------------- Ethiopic

#: Consonant of each row of eight syllables from U+1200 ("'" for the glottal and pharyngeal
#: rows); "+" marks labialised rows (qw, kw, gw, ...). ``ኸ`` is ``k`` as Tigrinya names write it.
_ETHIOPIC_ROWS = (
    "h l h m s r s sh q +q q +q b v t ch h +h n ny ' k +k k +k w ' z zh y d d j g +g g t ch p ts ts f p"
).split()
_ORDERS = ("e", "u", "i", "a", "e", "", "o")


def _ethiopic_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for row, consonant in enumerate(_ETHIOPIC_ROWS):
        start = 0x1200 + 8 * row
        if consonant.startswith("+"):
            labial = consonant[1:] + "w"
            for order, vowel in ((0, "e"), (2, "i"), (3, "a"), (4, "e"), (5, "")):
                table[chr(start + order)] = labial + vowel
            continue
        if consonant == "'":
            for order, vowel in enumerate(("a", "u", "i", "a", "e", "i", "o", "wa")):
                table[chr(start + order)] = vowel
            continue
        for order, vowel in enumerate(_ORDERS):
            table[chr(start + order)] = consonant + vowel
        table[chr(start + 7)] = consonant + "wa"
    table.update({"\u1358": "rya", "\u1359": "mya", "\u135A": "fya"})
    return table


_ETHIOPIC = _ethiopic_table()

# ---------------------------------------------------------------------------------- Cyrillic

_UKRAINIAN = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh", "з": "z",
    "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "ъ": "", "ы": "y", "э": "e", "ё": "e",
}
_UKRAINIAN.update({"ә": "a", "ғ": "gh", "қ": "q", "ң": "ng", "ө": "o", "ү": "u", "ұ": "u", "һ": "h", "ў": "u",
                   "ђ": "dj", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz", "ѓ": "g", "ќ": "k", "ѕ": "dz"})
_UKRAINIAN_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_RUSSIAN = {**_UKRAINIAN, "г": "g", "и": "i", "ъ": "ie", "ы": "y", "э": "e", "ё": "e", "е": "e"}
_RUSSIAN_ONLY = frozenset("ыэёъ")


def _cyrillic_word(word: str) -> str:
    table = _UKRAINIAN if _RUSSIAN_ONLY.isdisjoint(word) else _RUSSIAN
    out = []
    for i, ch in enumerate(word):
        if i == 0 and table is _UKRAINIAN and ch in _UKRAINIAN_INITIAL:
            out.append(_UKRAINIAN_INITIAL[ch])
            continue
        latin = table.get(ch)
        if latin is None:  # a letter with marks (a rarer language): its base letter, else nothing
            base = unicodedata.normalize("NFKD", ch)[:1]
            latin = table.get(base, base if base.isascii() and base.isalpha() else "")
        out.append(latin)
    return "".join(out)
