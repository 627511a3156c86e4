"""Data tables of the name rules in :mod:`linkage.names` (hand-written for this repository).

Provenance: written by hand from general knowledge of Arabic, Persian, Pashto, Kurdish, Somali,
Tigrinya and Ukrainian naming and of public romanisation conventions (ICAO passport spellings,
the Ukrainian national transliteration of 2010, common Ethiopic and Arabic romanisations). No
name list of another project or data set was copied. Changing any table changes encodings: all
agencies of a project must then re-encode.
"""

from __future__ import annotations

# ------------------------------------------------------------------------------ Latin tokens

#: Titles and honorifics, dropped wherever they stand (as whole parts, after folding).
TITLES = frozenset(
    "dr prof professor doktor doctor herr frau hr fr mr mrs ms mme mlle monsieur madame mister miss sir "
    "dipl ing med jur phil rer nat dent habil mag eng mawlawi maulawi maulvi mullah".split()
)

#: The Arabic article in its unassimilated spellings: dropped when it stands as a part of its own.
ARTICLES = frozenset("al el ul il".split())

#: Sun-letter assimilated articles ("ar-Rahman", "ash-Shami"): dropped only when the next part
#: starts with the consonant they assimilated to (the part after the leading vowel).
SUN_ARTICLES = frozenset(
    f"{v}{c}" for v in "aeu" for c in ("t", "th", "d", "dh", "r", "z", "s", "sh", "n")
)

#: Kinship particles ("son/daughter of"): dropped; the father's name stays a part of its own.
KINSHIP = frozenset("bin ibn bint binti ould walad".split())
#: Dropped only when another part follows ("Ben" alone may be a given name).
KINSHIP_IF_FOLLOWED = frozenset({"ben"})

#: Prefix parts joined to the next part: the theophoric "abd" (servant of) in every spelling that
#: ends in (or lacks) the article, and the kunya "abu" (father of).
ABD_PREFIXES = frozenset(
    "abd abdul abdel abdal abdol abdoul abdil abdur abdus abdun abdush abdud abduz abdut abdaz cabd cabdul".split()
)
ABU_PREFIXES = frozenset("abu abou".split())

#: Tigrinya/Amharic compound heads always joined to the next part ("Gebre Mariam").
ETHIOPIC_HEADS = frozenset("gebre ghebre gebra gabre gebri welde wolde weldi woldi".split())
#: Heads joined only when the next part is a saint's or the divine name ("Haile Mariam").
ETHIOPIC_HEADS_IF_SAINT = frozenset("habte hapte tekle tesfa kidane fikre zere amete haile hayle berhane".split())
SAINTS = frozenset(
    "mariam maryam marjam mikael michael mikiel giorgis giyorgis hiwet hiwot selassie sellassie "
    "medhin yesus iyesus egziabher amlak kristos krstos tensae gabriel gebriel yohannes".split()
)

#: Suffix parts joined to the part before them ("Ahmad Ullah", "Salah Eddine", "Hossein Zadeh").
SUFFIX_PARTS = frozenset(
    "ullah ulla ollah olla allah "
    "din dine deen eddin eddine uddin uddine addin iddin eldin aldin "
    "zadeh zade zada zadah".split()
)

#: Fused "al"/"el" is *not* an article in these parts (European, Turkish and Slavic given names).
FUSED_ARTICLE_EXCEPTIONS = frozenset(
    "albert alberto alberta albrecht albina albano alfred alfredo alfons alfonso alfonsa almira alwin "
    "alper altan altay altin alparslan elmira elvira elmar elfriede elvis elshan elchin elmas elvan "
    "elbrus aliyah aliyeh alicia alison alisha alissa alonso alondra aloisia alinda alister alistair "
    "alisher alimjan".split()
)

#: Somali spellings whose initial ``c`` writes the Arabic ʿayn (Somali orthography: ``c`` = ʿayn,
#: ``x`` = ḥ): ``Cali`` is ``Ali``, ``Cabdi`` is ``Abdi``. A list, not a rule: a ``c`` before a
#: vowel is a consonant in Carlos, Cem or Cemal.
SOMALI_AYN = {
    "cabdi": "abdi", "cali": "ali", "caliyo": "aliyo", "cumar": "umar", "cismaan": "usmaan",
    "cusmaan": "usmaan", "caasha": "aisha", "caisha": "aisha", "cilmi": "ilmi", "cawo": "awo",
    "caydiid": "aydiid", "cabdulle": "abdulle", "cabdow": "abdow", "cadan": "adan", "cisse": "isse",
    "ciise": "iise", "cigaal": "igaal", "caziz": "aziz", "camina": "amina", "caamina": "aamina",
}

#: Letters without a Unicode decomposition, folded to Latin after marks are stripped.
LATIN_SPECIAL = {
    "ı": "i", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ə": "a",
    "ħ": "h", "ŋ": "ng", "ɛ": "e", "ɔ": "o", "ĸ": "k", "ƒ": "f", "ɣ": "gh", "ʃ": "sh", "ʒ": "zh",
    "ŧ": "t", "ɨ": "i", "ʉ": "u", "ɖ": "d", "ɗ": "d", "ɓ": "b", "ƙ": "k", "ƴ": "y",
}

# ---------------------------------------------------------------------------- Arabic script

#: Consonant letters of Arabic, Persian, Pashto, Urdu and Kurdish (Sorani) Arabic script.
ARABIC_CONSONANTS = {
    "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh", "ر": "r",
    "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "غ": "gh", "ف": "f",
    "ق": "q", "ك": "k", "ک": "k", "ل": "l", "م": "m", "ن": "n", "پ": "p", "چ": "ch", "ژ": "zh",
    "گ": "g", "ڤ": "v", "ڨ": "g", "ٹ": "t", "ڈ": "d", "ڑ": "r", "ں": "n", "ھ": "h", "ټ": "t",
    "ډ": "d", "ړ": "r", "ږ": "zh", "ښ": "sh", "ځ": "z", "څ": "s", "ګ": "g", "ڼ": "n", "ڕ": "r",
    "ڵ": "l", "ڭ": "ng", "ۋ": "v",
}
#: Vowel signs (harakat), read where a writer supplied them.
ARABIC_HARAKAT = {"\u064e": "a", "\u0650": "i", "\u064f": "u", "\u0670": "a"}
ARABIC_SHADDA = "\u0651"
#: Letters that write long vowels (or a glottal stop carried by a vowel).
ARABIC_ALEFS = frozenset("اأإآٱ")
ARABIC_VOWEL_LETTERS = frozenset("اأإآٱىوي" "یېۍےۆێەئؤ")

#: Arabic-script words that are titles, dropped before transliteration (normalised spelling).
ARABIC_TITLES = frozenset(
    "الدكتور دكتور الدكتوره دكتوره المهندس مهندس الاستاذ استاذ السيده اقاي خانم مولوي ملا".split()
)
#: Words that begin with alef-lam but carry no article.
ARABIC_NO_ARTICLE = frozenset("الله اله الهه الهام الياس الماس البرز".split())

#: Vocalised romanisations of frequent name words (normalised Arabic spelling -> Latin), so that
#: the commonest names, whose short vowels the script does not write, come out as a usual Latin
#: spelling. One entry per line: ``<arabic> <latin>``. Spellings are keyed after folding hamza
#: forms of alef to ``ا``, ``ة`` to ``ه``, ``ى``/``ی`` to ``ي``, ``ک`` to ``ك``, ``ؤ`` to ``و``,
#: and ``ئ`` to ``ي``.
VOCALISED_TEXT = """
عبد abd
ابو abu
بن bin
ابن ibn
بنت bint
زاده zadeh
محمد mohammad
احمد ahmad
محمود mahmoud
حسن hassan
حسين hussein
علي ali
عمر omar
عمرو amr
عثمان othman
خالد khaled
مصطفي mustafa
ابراهيم ibrahim
يوسف yousef
اسماعيل ismail
يحيي yahya
عيسي issa
موسي musa
سليمان suleiman
داود dawood
يعقوب yaqub
ادم adam
نوح nuh
عمار ammar
بلال bilal
حمزه hamza
طارق tareq
سامر samer
سمير samir
وليد walid
نبيل nabil
جمال jamal
رامي rami
فادي fadi
ماجد majed
مجيد majid
صالح saleh
سالم salem
سليم salim
عدنان adnan
انس anas
اسامه osama
زكريا zakaria
ياسر yasser
هيثم haitham
فراس firas
علاء alaa
قاسم qasim
مهند muhannad
مازن mazen
نزار nizar
كريم karim
سعيد saeed
سعد saad
رشيد rashid
جهاد jihad
فيصل faisal
هادي hadi
ايمن ayman
هشام hisham
منير munir
غسان ghassan
اياد iyad
لوي louay
خليل khalil
حامد hamid
حميد hamid
وايل wael
باسل basel
عادل adel
حسام hussam
عماد imad
عصام issam
معاذ muaz
مراد murad
منصور mansour
ناصر nasser
نصر nasr
جعفر jafar
عباس abbas
رضا reza
مهدي mahdi
جواد javad
وحيد vahid
امير amir
امين amin
منيره munira
گل gul
نبي nabi
ذبيح zabih
حيات hayat
ميرويس mirwais
فريد farid
جاويد javid
شفيق shafiq
سيد sayed
رامين ramin
اميد omid
ميلاد milad
پرويز parviz
قادر qader
حبيب habib
مسعود masoud
احسان ehsan
نويد navid
سهراب sohrab
نجيب najib
ولي wali
اسد asad
بشير bashir
نذير nazir
شريف sharif
لطيف latif
رحيم rahim
رحمن rahman
رحمان rahman
عزيز aziz
غني ghani
ستار sattar
جبار jabbar
وهاب wahab
رزاق razzaq
حكيم hakim
حق haq
واحد wahid
سلام salam
حليم halim
جليل jalil
فتاح fattah
روف rauf
الله allah
نور nour
دين din
فاطمه fatima
عايشه aisha
مريم maryam
زينب zainab
امينه amina
ليلي layla
ليلا leila
هاله hala
رنا rana
رشا rasha
هدي huda
سميره samira
ياسمين yasmin
رانيا rania
دعاء duaa
اسماء asmaa
حنان hanan
ساره sara
ريم reem
نوره noura
شيماء shaimaa
هبه hiba
صفاء safaa
امل amal
غاده ghada
نسرين nisreen
لينا lina
ولاء walaa
خديجه khadija
ايمان iman
سلمي salma
منال manal
رزان razan
بشري bushra
مروه marwa
رهف rahaf
ايه aya
رغد raghad
هند hind
حليمه halima
حواء hawa
زهرا zahra
زهره zahra
معصومه masoumeh
سكينه sakina
مرضيه marzieh
پريسا parisa
شبنم shabnam
نيلوفر nilofar
محبوبه mahbooba
فرزانه farzana
رويا roya
ثريا soraya
نازنين nazanin
حميده hamida
شيرين shirin
سميه somayeh
فرشته fereshteh
مينا mina
ارزو arezoo
خاطره khatera
حسنا hosna
كلثوم kulthum
خطيب khatib
مصري masri
حلبي halabi
شامي shami
نجار najjar
حداد haddad
جاسم jasim
حمد hamad
حمود hamoud
كردي kurdi
عبيدي obaidi
جبوري jubouri
دليمي dulaimi
تميمي tamimi
زعبي zoubi
حريري hariri
شيخ sheikh
حاج hajj
حمدان hamdan
قصاب qassab
شاكر shaker
درويش darwish
ياسين yassin
قدور qaddour
صباغ sabbagh
قذافي qaddafi
اسود aswad
خوري khoury
حجازي hijazi
جابر jaber
غانم ghanem
دباغ dabbagh
"""
