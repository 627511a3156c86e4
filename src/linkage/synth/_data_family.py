"""Family-name variant groups and places of birth (hand-curated for this project).

Provenance: as :mod:`._data_given`: written by hand for this repository from general knowledge
of naming conventions, common public romanisations and German exonyms; no list of another
project or data set was copied; weights are rough plausibility choices.

Family names: one group per line, ``<weight> [al] <variant>/<variant>/... | <original script>``.
``al`` marks Arabic names carried with the article: the generator expands such a group into
article forms (``Al-Hassan``, ``Al Hassan``, ``Alhassan``, ``El-Hassan``, sun-letter forms such
as ``Ash-Shami``, or the article dropped) and prefixes ``ال`` to the original script.
Naming cultures without inherited family names (Somali, Tigrinya) have no list: their records
use the father's and grandfather's given names.

Places: one group per line, ``<weight> <variant>/<variant>/...``, keyed by ISO 3166 alpha-3
(``DEU``: German towns, for children born after arrival).
"""

FAMILY: dict[str, str] = {
    "arab": """
9 al Ahmad/Ahmed/Achmad | أحمد
9 al Ali/Aly | علي
7 al Hussein/Husein/Hussain/Houssein | حسين
7 al Mohammad/Mohammed/Mohamad/Muhammad | محمد
6 al Hasan/Hassan/Hasson | حسن
6 al Khalil/Chalil/Khaleel | خليل
6 al Abdullah/Abdallah/Abdulla/Abd Allah | عبد الله
5 al Hamoud/Hammoud/Hamud/Hamood | حمود
5 al Issa/Eissa/Aissa/Isa | عيسى
5 al Saleh/Salih/Saleh | صالح
5 al Ibrahim/Ebrahim/Ibraheem | إبراهيم
5 al Omar/Omer/Umar | عمر
4 al Mustafa/Moustafa/Mostafa | مصطفى
4 al Khatib/Khateeb/Chatib/Khatteb | خطيب
4 al Masri/Masry/Misri | مصري
4 al Halabi/Halaby/Halabie | حلبي
4 al Shami/Schami/Chami | شامي
3 al Najjar/Naggar/Nadschar/Najar | نجار
4 Haddad/Hadad/Hadded | حداد
4 al Jasem/Jassim/Jasim/Jassem | جاسم
3 al Hamad/Hammad/Hamed | حمد
4 al Kurdi/Kurdy/Kourdi | كردي
4 al Obaidi/Ubaydi/Obeidi/Obaidy | عبيدي
4 al Jubouri/Jabouri/Juburi/Jubori | جبوري
3 al Dulaimi/Dulaimy/Dleimi | دليمي
3 al Tamimi/Tamimy/Temimi | تميمي
3 al Rifai/Refai/Rifaei/Rifaie | رفاعي
3 al Zoubi/Zubi/Zoabi/Zouabi | زعبي
3 al Hariri/Hariry/Harriri | حريري
4 al Sayed/Sayyed/Sayyid/Said | سيد
3 al Sheikh/Scheich/Shaikh/Chaikh | شيخ
3 al Hajj/Haj/Hadsch/Hage | حاج
3 Hamdan/Hamdane/Hamdân | حمدان
3 Kassab/Qassab/Kasab/Qasab | قصاب
3 Shaker/Schaker/Shakir/Chaker | شاكر
4 Darwish/Darwisch/Derwish/Darweesh | درويش
4 Sulaiman/Suleiman/Sleiman/Soliman/Slimane | سليمان
3 Othman/Osman/Uthman/Athman | عثمان
3 Yassin/Yasin/Jassin/Yaseen | ياسين
3 Mansour/Mansur/Mansoor | منصور
3 al Nasser/Naser/Nasir/Nassar | ناصر
3 Qaddour/Kaddour/Ghaddour/Qadour | قدور
3 Abbas/Abas/Abass | عباس
2 Sabbagh/Sabbag/Sabagh | صباغ
2 Farhat/Farhad/Ferhat | فرحات
2 al Qaddafi/Gaddafi/Kadhafi/Qadhafi/Gadafi | قذافي
2 al Aswad/Asswad/Asuad | أسود
2 Khouri/Khoury/Khuri/Churi | خوري
2 al Hamwi/Hamawi/Hamwy | حموي
2 Azzam/Azam/Assam | عزام
2 Hijazi/Hejazi/Hidschasi/Hegazy | حجازي
2 al Bakri/Bakry/Bekri | بكري
2 Jaber/Jabir/Djaber/Gaber | جابر
2 Ghanem/Ganem/Ghanim | غانم
2 al Rashid/Rashed/Raschid | رشيد
2 al Dabbagh/Dabagh/Debbagh | دباغ
""",
    "pers": """
9 Ahmadi/Ahmady/Achmadi | احمدی
9 Mohammadi/Muhammadi/Mohamadi/Mohammady | محمدی
7 Rezaei/Rezai/Rezaee/Rezayi/Resai | رضایی
8 Hosseini/Husseini/Hussaini/Hosseiny/Husaini | حسینی
6 Karimi/Karimy/Kerimi | کریمی
6 Jafari/Jaffari/Dschafari/Jafary | جعفری
5 Sadeghi/Sadegi/Sadiqi/Sadeqi | صادقی
5 Moradi/Muradi/Moradie | مرادی
5 Rahimi/Rahimy/Raheemi | رحیمی
5 Azizi/Azizy/Asisi | عزیزی
4 Habibi/Habiby/Habibie | حبیبی
4 Nazari/Nazary/Nasari | نظری
4 Amiri/Amiry/Ameeri | امیری
4 Haidari/Heydari/Haydari/Heidari | حیدری
4 Sharifi/Scharifi/Sharify | شریفی
4 Noori/Nouri/Nuri/Noory | نوری
4 Rahmani/Rahmany/Rachmani | رحمانی
3 Safi/Safie/Saafi | صافی
3 Samadi/Samady/Ssamadi | صمدی
3 Akbari/Akbary/Akbarie | اکبری
3 Kazemi/Kazimi/Kasemi/Qazemi | کاظمی
3 Ghasemi/Qasemi/Kasemi/Qassemi | قاسمی
3 Mousavi/Musavi/Moussawi/Musawi | موسوی
3 Hashemi/Haschemi/Hashimi/Hashemy | هاشمی
3 Hosseinzadeh/Hoseinzade/Hussainzada/Husseinzadeh | حسین زاده
3 Alizadeh/Alizada/Alisadeh/Alizade | علیزاده
4 Ahmadzai/Ahmadzay/Ahmadsai | احمدزی
3 Popal/Popall/Popalzai | پوپل
3 Stanekzai/Stanikzai/Stanakzai | استانکزی
3 Sultani/Soltani/Sultany | سلطانی
3 Yousufzai/Yusufzai/Yousafzai/Yusufsai | یوسفزی
3 Wardak/Wardag/Vardak | وردک
3 Sadat/Saadat/Sadaat | سادات
3 Naseri/Nasseri/Nasiri/Naseri | ناصری
3 Rasuli/Rasouli/Rassuli | رسولی
3 Sediqi/Siddiqi/Sadiqui/Sedighi | صدیقی
2 Nikzad/Niksad/Nikzaad | نیکزاد
2 Faizi/Faisi/Fayzi | فیضی
2 Barakzai/Barakzay/Barakzei | بارکزی
2 Ghafari/Ghaffari/Gafari/Qaffari | غفاری
2 Qaderi/Qadiri/Kaderi/Ghaderi | قادری
2 Nabizada/Nabizadeh/Nabisada | نبی زاده
2 Mirzaei/Mirzai/Mirzaee | میرزایی
""",
    "kurd": """
3 Barzani/Barsani/Barzany | بارزانی
3 Zebari/Zibari/Sebari | زێباری
3 Doski/Duski/Doskey | دۆسکی
3 Sindi/Sindy/Sindee | سندی
3 Hawrami/Horami/Hawramy/Hauramani | هەورامی
2 Jaff/Djaf/Caf/Jaf | جاف
3 Amedi/Amadi/Amedy/Amêdî | ئامێدی
2 Mizuri/Mzuri/Mizouri | مزووری
2 Berwari/Barwari/Berwary | بەرواری
4 Hasso/Haso/Hassou | حسو
3 Sheikho/Scheicho/Shekho/Cheikho | شيخو
3 Hamo/Hammo/Hemo | حمو
3 Mamo/Mammo/Mamou | مامو
2 Ibo/Ibbo/Ybo | إيبو
2 Osso/Oso/Ossu | عسو
2 Bakir/Bekir/Bakr | بكر
""",
    "turk": """
8 Yılmaz/Yilmaz/Yilmas/Jilmaz
7 Kaya/Kaja
6 Demir/Dämir/Temir
6 Şahin/Sahin/Schahin/Shahin
6 Çelik/Celik/Tschelik/Chelik
5 Yıldız/Yildiz/Yildis/Jildiz
5 Yıldırım/Yildirim/Yildrim
5 Öztürk/Ozturk/Oeztuerk/Öztürck
5 Aydın/Aydin/Aidin/Aydyn
4 Özdemir/Ozdemir/Oezdemir
4 Arslan/Aslan/Arselan
4 Doğan/Dogan/Doghan/Dohan
4 Kılıç/Kilic/Kilitsch/Kylic
4 Çetin/Cetin/Tschetin
3 Kara/Karah
3 Koç/Koc/Kotsch/Koch
3 Kurt/Kurth
3 Özkan/Ozkan/Oezkan
3 Polat/Pollat/Bolat
3 Erdoğan/Erdogan/Erdohan
3 Güneş/Gunes/Guenes/Günes
2 Tekin/Tekinn
2 Aksoy/Aksoi/Aksoy
""",
    "ukr": """
6 Shevchenko/Schewtschenko/Ševčenko/Shewchenko | Шевченко
6 Kovalenko/Kowalenko/Kovalenco | Коваленко
5 Bondarenko/Bondarenco/Bondarenka | Бондаренко
5 Tkachenko/Tkatschenko/Tkačenko | Ткаченко
5 Kravchenko/Krawtschenko/Kravčenko | Кравченко
5 Boiko/Boyko/Bojko | Бойко
4 Kovalchuk/Kowaltschuk/Kovaltschuk/Koval'chuk | Ковальчук
4 Oliinyk/Oliynyk/Olijnyk/Olejnik | Олійник
4 Shevchuk/Schewtschuk/Ševčuk | Шевчук
4 Polishchuk/Polischtschuk/Poliščuk | Поліщук
4 Melnyk/Melnik/Mel'nyk | Мельник
4 Lysenko/Lyssenko/Lisenko | Лисенко
3 Marchenko/Martschenko/Marčenko | Марченко
3 Savchenko/Sawtschenko/Savčenko | Савченко
3 Rudenko/Rudenco | Руденко
3 Moroz/Morosow/Moros | Мороз
3 Petrenko/Petrenco | Петренко
""",
}

PLACES: dict[str, str] = {
    "SYR": """
14 Aleppo/Halab/Alep/Haleb
10 Damaskus/Damascus/Dimashq/Damas
7 Homs/Hims/Hums
7 Idlib/Idleb/Edlib
5 Hama/Hamah/Hamaa
5 Deir ez-Zor/Deir ez-Zur/Dair az-Zaur/Deir Ezzor
4 Raqqa/Rakka/Ar-Raqqah/Raqqah
5 Al-Hasakah/Hasaka/Hassake/Hasakeh
5 Qamishli/Kamischli/Al-Qamishli/Qamishlo
4 Daraa/Deraa/Dar'a/Dara
3 Latakia/Lattakia/Al-Ladhiqiyah/Lattaquié
3 Afrin/Efrin/Afrine
3 Kobani/Kobane/Ain al-Arab
""",
    "AFG": """
14 Kabul/Kabol/Kaboul
8 Herat/Harat/Hérat
6 Kandahar/Qandahar/Kandehar
6 Mazar-e Sharif/Mazar-i-Sharif/Masar-e Scharif/Mazar-e-Sharif/Mazar
6 Jalalabad/Dschalalabad/Jelalabad/Jalal Abad
5 Kunduz/Kundus/Qunduz/Konduz
5 Ghazni/Gasni/Ghazny/Ghasni
4 Baghlan/Baglan/Baghlaan
4 Maidan Wardak/Wardak/Meydan Wardak
3 Logar/Lowgar/Loghar
3 Parwan/Parvan/Charikar
3 Helmand/Hilmand/Lashkar Gah
3 Takhar/Tachar/Taloqan
""",
    "IRQ": """
9 Bagdad/Baghdad/Bagdhad
7 Mossul/Mosul/Al-Mawsil/Mausil
7 Erbil/Arbil/Hawler/Irbil
5 Basra/Al-Basrah/Bassora
5 Kirkuk/Kerkuk/Karkuk
6 Duhok/Dohuk/Dahuk/Dihok
5 Sulaymaniyah/Sulaimaniya/Slemani/As-Sulaimaniyya
5 Sindschar/Sinjar/Shingal/Schingal
3 Falludscha/Fallujah/Falluja
2 Tikrit/Tekrit
2 Ramadi/Ar-Ramadi/Al-Ramadi
""",
    "TUR": """
8 Istanbul/İstanbul/Stambul
7 Diyarbakır/Diyarbakir/Diyarbekir/Amed
4 Ankara/Angora
3 Izmir/İzmir/Ismir
4 Gaziantep/Antep/Ayintap
5 Van/Wan
4 Mardin/Merdin
4 Şanlıurfa/Sanliurfa/Urfa
3 Batman/Iluh
3 Hakkari/Hakkâri/Colemerg
3 Siirt/Sirt
""",
    "IRN": """
9 Teheran/Tehran/Téhéran
6 Maschhad/Mashhad/Meshed/Mashad
4 Isfahan/Esfahan/Ispahan
4 Schiras/Shiraz/Chiraz
4 Täbris/Tabriz/Tebriz
3 Kermanschah/Kermanshah/Kirmashan
3 Ahvaz/Ahwaz/Ahwas
3 Karadsch/Karaj/Karadj
2 Ghom/Qom/Qum
2 Sanandadsch/Sanandaj/Sine
""",
    "ERI": """
10 Asmara/Asmera/Asmarra
5 Keren/Keran/Kären
4 Massawa/Mitsiwa/Massaua/Mitsiwwa
4 Mendefera/Mendefra/Adi Ugri
3 Dekemhare/Dekemhari/Decamere
3 Adi Keyh/Adi Keih/Adikeyh
3 Barentu/Barentou
2 Assab/Aseb/Asab
2 Tesseney/Teseney/Tessenei
2 Senafe/Senafé
""",
    "SOM": """
10 Mogadischu/Mogadishu/Muqdisho/Mogadiscio/Mogadisho
5 Kismayo/Kismaayo/Chisimaio/Kismaio
5 Hargeisa/Hargeysa/Hargeisa
4 Baidoa/Baydhabo/Baidowa
3 Beledweyne/Beledwein/Baladweyne/Beletweyne
3 Galkayo/Gaalkacyo/Galcaio
3 Bosaso/Boosaaso/Bossaso
2 Marka/Merca/Merka
""",
    "SDN": """
7 Khartum/Khartoum/Al-Khartum
4 Omdurman/Umm Durman/Omdourman
4 Nyala/Niyala/Nyalla
4 Al-Faschir/El Fasher/Al-Fashir/El-Fascher
3 Kassala/Kasala
2 Port Sudan/Bur Sudan
2 Al-Ubayyid/El Obeid/El-Obeid
""",
    "ETH": """
6 Addis Abeba/Addis Ababa/Addis Abbaba
5 Mekele/Mekelle/Makale/Mekelé
3 Gondar/Gonder/Gondär
3 Dire Dawa/Diredawa/Dire Daua
3 Adigrat/Adi Grat/Addigrat
3 Shire/Schire/Inda Selassie
2 Humera/Humära
""",
    "UKR": """
9 Kyjiw/Kyiv/Kiew/Kiev
7 Charkiw/Kharkiv/Kharkov/Charkow
5 Odesa/Odessa/Odesa
5 Dnipro/Dnjepr/Dnipropetrowsk/Dnepropetrovsk
4 Saporischschja/Zaporizhzhia/Saporoshje/Zaporozhye
4 Mariupol/Mariupol'/Mariupil
3 Lwiw/Lviv/Lemberg/Lvov
3 Cherson/Kherson/Chersson
3 Mykolajiw/Mykolaiv/Nikolajew
3 Sumy/Ssumy/Sumi
2 Tschernihiw/Chernihiv/Tschernigow
""",
    "DEU": """
6 Bielefeld/Bielefeld
5 Detmold/Detmold
4 Münster/Muenster/Munster
4 Gütersloh/Guetersloh/Gutersloh
3 Lemgo/Lemgo
3 Warendorf/Warendorf
3 Ahlen/Ahlen (Westf.)
3 Bad Salzuflen/Bad-Salzuflen/Salzuflen
3 Köln/Koeln/Cologne
3 Dortmund/Dortmund
2 Lage/Lage (Lippe)
2 Beckum/Beckum
""",
}
