"""Given-name variant groups per naming culture (hand-curated for this project).

Provenance: written by hand for this repository from general knowledge of naming conventions
and common public romanisation practice (ICAO passport spellings, German "Dschamal"-style
transcriptions, French "ou" spellings, Somali orthography, Tigrinya romanisations). No name list
of another project or data set was copied. Frequencies are rough relative weights chosen for
plausibility, not measured figures. Original-script forms are ordinary dictionary spellings.

Format: one group per line, ``<sex><weight> <variant>/<variant>/... | <original script>``.
``sex`` is ``m``, ``f`` or ``u`` (either); the first variant is the most common spelling, later
ones are rarer; the part after ``|`` (optional) is the name in its original script.
"""

GIVEN: dict[str, str] = {
    "arab": """
m30 Mohammed/Muhammad/Mohamad/Mohamed/Mouhamed/Mohammad/Muhammed/Mhd | محمد
m14 Ahmad/Ahmed/Achmed/Ahmet | أحمد
m12 Ali/Aly | علي
m9 Hassan/Hasan/Hassen | حسن
m8 Hussein/Husein/Hussain/Husayn/Houssein | حسين
m8 Omar/Umar/Omer/Oumar | عمر
m8 Khaled/Khalid/Chaled/Haled | خالد
m7 Mahmoud/Mahmud/Machmud/Mahmood | محمود
m7 Mustafa/Moustafa/Mostafa/Mustapha | مصطفى
m7 Ibrahim/Ebrahim/Brahim/Ibraheem | إبراهيم
m7 Abdulrahman/Abdel Rahman/Abd al-Rahman/Abdurrahman/Abdul Rahman/Abdelrahman | عبد الرحمن
m6 Abdullah/Abdallah/Abdellah/Abd Allah/Abdulla | عبد الله
m4 Abdulkarim/Abdel Karim/Abd al-Karim/Abdul Karim | عبد الكريم
m4 Abdulaziz/Abdel Aziz/Abd al-Aziz/Abdul Aziz | عبد العزيز
m3 Abdulqader/Abdelkader/Abdul Kader/Abd al-Qadir/Abdulkadir | عبد القادر
m6 Youssef/Yousef/Yusuf/Yousif/Jussuf/Youcef | يوسف
m4 Ammar/Amar/Ammer | عمار
m4 Bilal/Belal/Bilel | بلال
m4 Hamza/Hamzah/Hamsa | حمزة
m4 Tarek/Tariq/Tarik/Tareq | طارق
m3 Samer/Sameer | سامر
m3 Samir/Sameer/Semir | سمير
m4 Walid/Waleed/Oualid | وليد
m3 Nabil/Nabeel/Nabiel | نبيل
m3 Jamal/Gamal/Djamal/Dschamal | جمال
m3 Rami/Ramy | رامي
m3 Fadi/Fady | فادي
m3 Majed/Majid/Maged/Madjid | ماجد
m3 Saleh/Salih/Salah | صالح
m2 Salem/Salim | سالم
m3 Adnan/Adnane | عدنان
m4 Anas/Annas | أنس
m3 Osama/Usama/Oussama/Ousama | أسامة
m3 Zakaria/Zakariya/Sakaria/Zakariyya | زكريا
m3 Yasser/Yasir/Jasser/Yaser | ياسر
m3 Haitham/Haytham/Heitham | هيثم
m2 Firas/Feras | فراس
m3 Alaa/Ala/Alaa' | علاء
m3 Qasim/Kassem/Kasim/Qassem/Kassim | قاسم
m2 Muhannad/Mohannad/Mouhannad | مهند
m2 Mazen/Mazin/Masen | مازن
m2 Nizar/Nisar/Nezar | نزار
m2 Karim/Kareem/Kerim | كريم
m3 Said/Saeed/Saied/Sayed | سعيد
m2 Rashid/Rachid/Raschid/Rasheed | رشيد
m2 Jihad/Dschihad/Gihad | جهاد
m2 Faisal/Faysal/Feisal | فيصل
m2 Hadi/Hady | هادي
m2 Ayman/Aiman/Aymen | أيمن
m2 Hisham/Hesham/Hischam | هشام
m1 Munir/Mounir/Monir | منير
m2 Ghassan/Gassan/Ghasan | غسان
m2 Iyad/Eyad/Ijad/Eyyad | إياد
m2 Louay/Luay/Loay/Loai | لؤي
m3 Khalil/Chalil/Halil/Khaleel | خليل
m3 Ismail/Ismael/Esmail/Ismayil | إسماعيل
m2 Yahya/Yehya/Jahja | يحيى
m2 Issa/Eissa/Isa | عيسى
m2 Musa/Moussa/Mousa | موسى
m2 Suleiman/Sulaiman/Sleiman/Soliman | سليمان
m2 Othman/Osman/Uthman | عثمان
m2 Hamid/Hameed/Hamed | حامد
m2 Wael/Wail/Ouael | وائل
m2 Basel/Bassel/Basil | باسل
m2 Abdulhamid/Abdel Hamid/Abd al-Hamid | عبد الحميد
u3 Nour/Noor/Nur | نور
f14 Fatima/Fatma/Fatimah/Fatme/Fatmeh | فاطمة
f8 Aisha/Aischa/Aysha/Aicha/Aesha | عائشة
f9 Mariam/Maryam/Meryem/Mariem/Mirjam | مريم
f7 Zainab/Zeinab/Zaynab/Sainab | زينب
f6 Amina/Amena/Aminah | أمينة
f5 Layla/Leila/Laila/Leyla | ليلى
f4 Hala/Hallah | هالة
f4 Rana/Ranaa | رنا
f4 Rasha/Rascha | رشا
f4 Huda/Hoda/Houda | هدى
f3 Samira/Sameera/Semira | سميرة
f4 Yasmin/Yasmine/Jasmin/Yasmeen | ياسمين
f3 Rania/Ranya/Raniya | رانيا
f4 Duaa/Doaa/Dua/Doa | دعاء
f4 Asmaa/Asma/Esma | أسماء
f4 Hanan/Hanane | حنان
f5 Sara/Sarah/Sarra | سارة
f3 Reem/Rim/Riem | ريم
f3 Noura/Nura/Nora | نورة
f3 Shaimaa/Shaima/Schaima/Chaimaa | شيماء
f3 Hiba/Heba/Hibah | هبة
f3 Safaa/Safa/Safae | صفاء
f3 Amal/Amel | أمل
f2 Ghada/Gada | غادة
f3 Nisreen/Nesrin/Nasrin/Nisrin | نسرين
f3 Lina/Leena/Line | لينا
f2 Walaa/Wala/Oualaa | ولاء
f4 Khadija/Khadidja/Chadidscha/Khadeeja | خديجة
f3 Iman/Eman/Imane | إيمان
f3 Salma/Selma | سلمى
f2 Manal/Manel | منال
f2 Razan/Rasan | رزان
f2 Bushra/Boushra/Buschra | بشرى
f3 Marwa/Marwah/Maroua | مروة
f2 Rahaf/Rahef | رهف
f3 Aya/Ayah/Aja | آية
f2 Raghad/Ragad | رغد
f2 Hind/Hend | هند
""",
    "pers": """
m30 Mohammad/Mohammed/Muhammad/Mohamad/Mohamed | محمد
m14 Ali/Aly | علی
m10 Ahmad/Ahmed/Achmad | احمد
m8 Hossein/Hussein/Husayn/Hussain/Hosein | حسین
m6 Reza/Resa/Rida/Rezza | رضا
m5 Mahdi/Mehdi/Mehdy | مهدی
m4 Hamid/Hameed/Hamed | حمید
m4 Javad/Jawad/Dschawad/Jawaad | جواد
m4 Vahid/Wahid/Waheed | وحید
m5 Amir/Ameer/Emir | امیر
m3 Abbas/Abas | عباس
m4 Hassan/Hasan | حسن
m3 Mostafa/Mustafa/Mustafah | مصطفی
m4 Abdul Ghani/Abdulghani/Abdul Ghany/Abdolghani | عبدالغنی
m5 Gul/Gol/Ghul | گل
m3 Nabi/Nabee/Nabie | نبی
m4 Rahim/Raheem/Rahem | رحیم
m3 Karim/Kareem/Karem | کریم
m3 Naser/Nasser/Nasir/Naseer | ناصر
m4 Zabihullah/Zabiullah/Sabihullah/Zabihollah | ذبیح الله
m3 Ahmadullah/Ahmadulla/Ahmad Ullah | احمد الله
m3 Hayatullah/Hayatulla/Hajatullah | حیات الله
m4 Noorullah/Nurullah/Nourollah/Noorulla | نور الله
m3 Mirwais/Mir Wais/Mirways/Mirweis | میرویس
m3 Farid/Fareed/Ferid | فرید
m3 Jawid/Javid/Jawed/Javed | جاوید
m3 Shafiq/Shafik/Schafik/Shafeeq | شفیق
m4 Sayed/Sayyid/Seyed/Said/Sajed | سید
m3 Ramin/Rameen | رامین
m3 Omid/Umid/Omed/Omeed | امید
m3 Milad/Meelad | میلاد
m2 Parviz/Parwiz/Parwez/Perwez | پرویز
m3 Qader/Kader/Qadir/Ghader | قادر
m3 Habib/Habeeb/Habibullah | حبیب
m3 Massoud/Masoud/Masud/Massud | مسعود
m3 Ehsan/Ihsan/Ehssan | احسان
m2 Navid/Nawid/Naveed | نوید
m2 Sohrab/Suhrab/Sohrap | سهراب
m3 Najib/Najeeb/Nadschib/Nadjib | نجیب
m3 Wali/Vali/Walee | ولی
m3 Asadullah/Asadulla/Asadollah | اسدالله
m2 Baryalai/Baryalay/Bariyalai | بریالی
m3 Khalid/Khaled/Chalid | خالد
m2 Bashir/Basheer/Baschir | بشیر
m2 Yaqub/Yakub/Jakub/Yaqoob | یعقوب
f12 Fatemeh/Fatima/Fatema/Fateme/Fatimah | فاطمه
f9 Zahra/Sahra/Zahraa/Zohra | زهرا
f8 Maryam/Mariam/Marjam | مریم
f4 Masoumeh/Masuma/Massoumeh/Masooma/Masume | معصومه
f5 Zeinab/Zainab/Sainab/Zaynab | زینب
f4 Sakineh/Sakina/Sakine | سکینه
f3 Marzieh/Marziya/Marsieh/Marzia | مرضیه
f3 Parisa/Parissa/Parysa | پریسا
f4 Shabnam/Schabnam/Shabnum | شبنم
f3 Nilofar/Nilufar/Niloufar/Nilofer | نیلوفر
f3 Mahboba/Mahbooba/Mahbuba/Mahboobeh | محبوبه
f3 Farzaneh/Farzana/Farsana | فرزانه
f3 Roya/Roja/Ruya | رویا
f3 Soraya/Suraya/Soraja/Suraiya | ثریا
f3 Nazanin/Nasanin/Nazaneen | نازنین
f3 Hamida/Hameeda/Hamideh | حمیده
f3 Shirin/Schirin/Sherin/Shireen | شیرین
f3 Leila/Layla/Laila/Lela | لیلا
f3 Somayeh/Somaya/Sumaya/Somaye | سمیه
f3 Fereshteh/Freshta/Fereshta/Frishta | فرشته
f3 Mina/Meena | مینا
f2 Arezoo/Arezu/Aresu | آرزو
f2 Khatera/Khatira/Chatera | خاطره
f2 Hosna/Husna/Hosnia | حسنا
""",
    "kurd": """
m4 Azad/Azat/Asad | ئازاد
m3 Kawa/Kaveh/Kawe | کاوە
m3 Dilshad/Dilschad/Delshad | دلشاد
m3 Rebwar/Rebuar/Reboar | ڕێبوار
m3 Shivan/Shevan/Schiwan/Shiwan | شڤان
m3 Baran/Barran | باران
m3 Serhat/Sirhat/Serhad | سەرهات
m2 Karwan/Kerwan/Carwan | کاروان
m2 Rizgar/Rizkar/Rezgar | ڕزگار
m2 Hogir/Hoger/Hojir | هۆگر
m2 Diyar/Dijar/Dyar | دیار
m2 Sherko/Scherko/Shirko | شێرکۆ
m2 Zana/Sana | زانا
m2 Hêvî/Hevi/Hewi | هیوا
f4 Rojin/Rozhin/Roschin/Rojîn | ڕۆژین
f3 Berîvan/Berivan/Beriwan | بێریڤان
f3 Dilan/Delan/Dîlan | دیلان
f3 Nasrin/Nesrin/Nisrin | نەسرین
f3 Zozan/Sosan/Zôzan | زۆزان
f3 Shilan/Schilan/Chilan | شیلان
f3 Avîn/Avin/Awin/Aveen | ئاڤین
f3 Jiyan/Jian/Zhiyan/Jîyan | ژیان
f3 Hêlîn/Helin/Heleen | هێلین
f2 Ronahî/Ronahi/Runahi | ڕووناهی
f2 Viyan/Vian/Wian | ڤیان
f2 Delal/Dalal/Dilal | دەلال
f2 Rûken/Ruken/Rukan | ڕووکەن
""",
    "turk": """
m8 Mehmet/Mehmed/Muhammed/Memet | محمد
m6 Mustafa/Mustapha | مصطفى
m6 Ahmet/Ahmed/Achmet | أحمد
m5 Ali/Aly | علي
m5 Hüseyin/Huseyin/Hüssein/Hueseyin | حسين
m5 Hasan/Hassan | حسن
m5 İbrahim/Ibrahim/Ibraim | إبراهيم
m4 Murat/Murad | مراد
m4 Ömer/Omer/Oemer | عمر
m4 Yusuf/Jusuf/Yussuf | يوسف
m3 Emre/Emreh
m3 Burak/Burag
m3 Mahmut/Mahmud/Machmut | محمود
m3 Halil/Chalil/Khalil | خليل
m3 Osman/Othman | عثمان
m3 İsmail/Ismail/Ismayil | إسماعيل
m2 Serkan/Sercan
m2 Kemal/Kamal/Kemâl | كمال
m2 Abdullah/Abdulla/Abdallah | عبد الله
f6 Ayşe/Ayse/Aische/Aysche | عائشة
f6 Fatma/Fatima/Fadime | فاطمة
f5 Emine/Emina | أمينة
f4 Hatice/Hatidsche/Hatige/Hatica | خديجة
f4 Zeynep/Zeinep/Seynep/Zeynap | زينب
f4 Elif/Elife
f3 Meryem/Meryam/Merjem | مريم
f3 Özlem/Ozlem/Oezlem
f3 Hülya/Hulya/Huelya
f3 Esra/Esrah | إسراء
f3 Leyla/Leila/Layla | ليلى
f2 Sevgi/Sewgi
f2 Gülsüm/Gulsum/Guelsuem | كلثوم
""",
    "soma": """
m16 Mohamed/Maxamed/Mohammed/Mahamed/Mohamad | محمد
m10 Abdi/Cabdi/Abdy | عبدي
m9 Hassan/Xasan/Hasan/Hasaan | حسن
m9 Ali/Cali/Aly | علي
m8 Ahmed/Axmed/Ahmad/Axmad | أحمد
m6 Yusuf/Yuusuf/Yousuf/Yussuf | يوسف
m5 Ismail/Ismaaciil/Ismacil/Ismaail | إسماعيل
m6 Omar/Cumar/Umar | عمر
m6 Farah/Faarax/Farax | فارح
m6 Abdullahi/Cabdullaahi/Abdillahi/Abdulahi | عبد الله
m5 Abdirahman/Cabdiraxmaan/Abdirahmaan/Abdurahman | عبد الرحمن
m5 Hussein/Xuseen/Husein/Hussen | حسين
m5 Mohamud/Maxamuud/Mahamud/Mohamoud | محمود
m4 Osman/Cismaan/Usman/Othman | عثمان
m4 Ibrahim/Ibraahim/Ibrahin | إبراهيم
m4 Aden/Aadan/Adan/Adam | آدم
m4 Jama/Jaamac/Djama/Jamac | جامع
m4 Nur/Nuur/Noor | نور
m3 Warsame/Warsama/Warsami
m3 Abdikarim/Cabdikariim/Abdikariim/Abdikarin | عبد الكريم
m3 Hirsi/Xirsi/Hersi
m3 Guled/Guuleed/Guleed
m3 Said/Saciid/Saeed | سعيد
m3 Abdiaziz/Cabdicasiis/Abdulaziz | عبد العزيز
f10 Fadumo/Faadumo/Fatuma/Fatima/Faduma | فاطمة
f7 Halima/Xaliimo/Halimo/Haliimo | حليمة
f6 Hodan/Hodon/Hoodan
f5 Ayaan/Ayan/Ayana
f6 Sahra/Saxra/Sahro/Sacdiya | زهرة
f6 Asha/Caasha/Aisha/Aysha | عائشة
f5 Maryan/Maryam/Mariam/Maryama | مريم
f4 Hibo/Hibaaq/Hiba
f4 Nimco/Nimo/Nimca
f4 Khadra/Khadro/Qadro/Khadar | خضرة
f5 Amina/Aamina/Amino | أمينة
f4 Ifrah/Ifrax/Ifraah
f4 Deeqa/Deka/Deqa/Dheeqa
f4 Hawa/Xaawo/Hawo/Haawa | حواء
f3 Ubah/Ubax/Ubaah
f3 Sucaad/Suad/Souad | سعاد
""",
    "tigr": """
m6 Tesfay/Tesfaye/Tesfai/Tesfaie
m6 Haile/Hayle/Haylay/Haili
m5 Gebremariam/Gebre Mariam/Ghebremariam/Gebremaryam/Gebremarjam
m5 Tekle/Teklay/Tekleh/Tecle
m5 Yohannes/Yohanes/Johannes/Yohannis
m5 Dawit/Dawitt/Dawid/Dawet
m4 Mehari/Mehary/Mihary/Mahari
m5 Berhane/Berhe/Brhane/Birhane/Berhan
m4 Semere/Semre/Simre/Semereab
m4 Filmon/Filimon/Philemon/Fillmon
m4 Kidane/Kidan/Qidane/Kidanemariam
m4 Habtom/Habtem/Habtay
m4 Ghirmay/Girmay/Ghirmai/Germay
m4 Tewelde/Tewolde/Teweldu/Tewelede
m5 Amanuel/Emanuel/Amanual/Amaniel
m4 Mussie/Musie/Mosie/Mussa
m4 Goitom/Goytom/Gytom/Goitem
m4 Abraham/Abrham/Abreham
m4 Yonas/Jonas/Yonass/Yonaz
m3 Ermias/Ermyas/Ermiyas
m3 Mulugeta/Mulugheta/Mulgeta
m3 Zerai/Zeray/Seray/Zerey
m3 Kibrom/Kbrom/Kebrom/Kibrum
m3 Negassi/Negasi/Nigusse/Negash
m3 Okbay/Okbai/Ogbay/Ukbay
m3 Samson/Samsom/Semsom
m3 Tsegay/Tsegai/Tsegaye/Tseggai
m3 Welday/Weldai/Woldai/Weldey
m3 Gebrehiwet/Gebre Hiwet/Ghebrehiwet/Gebrehiwot
m3 Weldemichael/Welde Mikael/Woldemichael/Weldemikael
m3 Isaias/Isayas/Issayas/Esayas
m3 Michael/Mikael/Mikiel/Michele
m3 Solomon/Salomon/Selomon
m3 Efrem/Ephrem/Afrem
f6 Senait/Senayt/Sennait/Sinait
f5 Helen/Hellen/Hilen
f5 Mebrat/Mebrhat/Mibrat
f5 Selam/Selamawit/Salam/Sälam
f4 Ruta/Rutha/Rutta
f4 Saba/Sabah/Sabaa
f4 Feven/Fiven/Feben
f4 Lidia/Lydia/Lidya/Lidiya
f4 Tsega/Tsegga/Tsige/Tsegereda
f4 Semhar/Semhare/Simhar
f4 Yohana/Yohanna/Johanna/Yohanan
f4 Winta/Wintana/Weynta
f4 Eden/Edan/Edena
f4 Hiwet/Hiwot/Hewet/Hewan
f4 Luwam/Luam/Luwan/Lwam
f3 Almaz/Almas/Almez
f3 Mhret/Mihret/Meheret/Mehret
f3 Aster/Astier
f3 Tirhas/Terhas/Tirhass/Trhas
f3 Freweyni/Frewoyni/Fraweini/Frewini
f3 Yordanos/Jordanos/Yordanoss
f3 Rahwa/Rahua/Rahwaa
f3 Elsa/Elssa/Elisa
f3 Abrehet/Abreht/Abrhet
""",
    "ukr": """
m8 Oleksandr/Aleksandr/Alexander/Olexandr/Oleksander | Олександр
m6 Serhii/Serhiy/Sergiy/Sergey/Sergej/Serhij | Сергій
m6 Andrii/Andriy/Andrij/Andrej/Andrey | Андрій
m5 Volodymyr/Wolodymyr/Vladimir/Wladimir | Володимир
m5 Dmytro/Dmitro/Dmitrij/Dmitry/Dmitri | Дмитро
m4 Mykola/Mikola/Nikolai/Nikolaj | Микола
m4 Ivan/Iwan | Іван
m4 Oleh/Oleg/Olech | Олег
m4 Yurii/Yuriy/Jurij/Yuri/Iurii | Юрій
m3 Vasyl/Wasyl/Vasily/Wassili | Василь
m4 Maksym/Maxim/Maksim/Maxym | Максим
m3 Artem/Artjom/Artyom | Артем
m3 Bohdan/Bogdan | Богдан
m3 Taras/Tarass | Тарас
f7 Olena/Elena/Jelena/Alena | Олена
f6 Tetiana/Tetyana/Tatiana/Tatjana/Tetjana | Тетяна
f5 Nataliia/Natalia/Natalija/Nataliya | Наталія
f5 Iryna/Irina/Irena | Ірина
f4 Svitlana/Swetlana/Svetlana/Switlana | Світлана
f4 Oksana/Oxana | Оксана
f4 Yuliia/Yulia/Julija/Julia/Iuliia | Юлія
f4 Anastasiia/Anastasia/Anastasija/Anastasiya | Анастасія
f4 Mariia/Maria/Marija/Mariya | Марія
f4 Kateryna/Katerina/Katharina/Katarina | Катерина
f4 Olha/Olga/Olgha | Ольга
f3 Viktoriia/Viktoria/Wiktorija/Viktoriya | Вікторія
f3 Liudmyla/Ludmila/Ljudmyla/Lyudmyla | Людмила
f3 Halyna/Galina/Halina | Галина
""",
}
