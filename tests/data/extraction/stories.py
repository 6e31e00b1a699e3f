"""The hand-written, fictional stories behind the extraction dataset (see README.md beside this file).

Each story is the ground truth: title, authors, the moment of publication as the outlet states it
(with its UTC offset), a later modification for some (outlets update stories, and a date finder
that prefers the newest date then gets the day wrong), and the body paragraphs a reader sees. generate.py dresses them in page
templates; the page's furniture (menus, promos, captions, comments) is not part of any story.
"""

EN = [
    dict(
        slug="missile-strike-damages-zarichansk-water-plant",
        title="Missile strike damages Zarichansk water treatment plant",
        authors=["Hanna Lytvyn"],
        published="2026-01-14T06:42:00+00:00",
        modified="2026-01-15T09:10:00+00:00",
        paragraphs=[
            "ZARICHANSK, Jan 14 (Kronika Wire) - A missile struck the main water treatment plant in Zarichansk "
            "shortly before dawn on Wednesday, cutting supplies to about half of the city's households, the "
            "regional administration said.",
            "Engineers were assessing damage to the filtration hall, which took the brunt of the blast, while "
            "tankers delivered drinking water to the northern districts.",
            "\"We expect partial supply to return within two days if the pumps are intact,\" said Ostap Hrynko, "
            "head of the municipal water company, adding that no staff were on the night shift in the hall.",
            "The strike was the third on the city's utilities this month. Officials have urged residents to keep "
            "a reserve of water and to boil tap water until tests confirm it is safe.",
            "There was no immediate comment from the defence ministry on where the missile had been launched.",
        ],
    ),
    dict(
        slug="rail-link-to-zarichansk-reopens",
        title="Rail link to Zarichansk reopens after three days of repairs",
        authors=["Marko Dovzhenko", "Iris Bell"],
        published="2026-01-09T15:05:00+00:00",
        modified="2026-01-10T08:00:00+00:00",
        paragraphs=[
            "ZARICHANSK, Jan 9 (Kronika Wire) - Passenger trains returned to the Zarichansk line on Friday after "
            "repair crews replaced a section of track damaged by shelling earlier in the week.",
            "The state railway said the first train from the regional capital arrived 40 minutes late but full, "
            "with many passengers returning to check on their homes.",
            "Freight traffic will resume on Saturday, the railway added, once engineers finish inspecting a "
            "bridge north of the station.",
            "Rail workers have repaired the line four times since the autumn, often within hours of an attack.",
        ],
    ),
    dict(
        slug="grain-barges-delayed-on-river-zarichna",
        title="Grain barges delayed on the River Zarichna as ice thickens",
        authors=["Iris Bell"],
        published="2026-01-11T10:20:00+00:00",
        paragraphs=[
            "ZARICHANSK, Jan 11 (Kronika Wire) - At least twelve grain barges were waiting below the Zarichansk "
            "lock on Sunday as thickening ice slowed river traffic to a crawl, the port authority said.",
            "Icebreakers were clearing a channel toward the lower terminals, but the authority warned that "
            "shipments could be delayed for up to a week.",
            "Traders said the delays added to costs already raised by higher insurance premiums for vessels "
            "moving through the region.",
            "The river usually stays navigable until late January, though cold snaps have closed it early in "
            "two of the last five winters.",
        ],
    ),
    dict(
        slug="zarichansk-opens-heating-points-after-power-cuts",
        title="Zarichansk opens heating points as power cuts stretch into second week",
        authors=["Hanna Lytvyn", "Marko Dovzhenko"],
        published="2026-01-17T08:15:00+00:00",
        modified="2026-01-18T12:30:00+00:00",
        paragraphs=[
            "ZARICHANSK, Jan 17 (Kronika Wire) - The city opened 24 heating points in schools and libraries on "
            "Saturday as scheduled power cuts entered their second week during a hard frost.",
            "Each point has a generator, hot drinks and a place to charge phones, and some will stay open "
            "overnight for families with small children, the mayor's office said.",
            "Grid operator officials said repairs to two damaged substations would take at least ten more days.",
            "Night temperatures are forecast to fall to minus 18 degrees Celsius by Monday.",
            "Volunteers said demand had been highest among elderly residents living alone in high-rise blocks "
            "where lifts do not work during outages.",
        ],
    ),
    dict(
        slug="court-hears-appeal-over-evacuation-order",
        title="Court hears appeal over Zarichansk evacuation order",
        authors=["Olesia Vakar"],
        published="2026-01-20T13:30:00+00:00",
        paragraphs=[
            "ZARICHANSK, Jan 20 (Kronika Wire) - A regional court on Tuesday began hearing an appeal by residents "
            "of two frontline villages against an order requiring families with children to leave.",
            "Lawyers for the residents argued that the order gave families too little time and offered no "
            "housing, while the administration said it was needed to protect children from shelling.",
            "About 300 families are affected. The court is expected to rule by the end of the month.",
            "Similar orders have been challenged in other regions, with mixed results.",
        ],
    ),
    dict(
        slug="blackout-diary-a-night-in-the-shelter",
        title="Blackout diary: a night in the shelter under School No. 7",
        authors=["Daria Melnyk"],
        published="2026-01-12T19:00:00+00:00",
        paragraphs=[
            "The siren starts at 1:12 a.m., and by 1:20 the basement of School No. 7 is full of folding chairs, "
            "thermoses and children in coats over their pyjamas.",
            "Svitlana, a maths teacher, has brought a box of chalk and turns a concrete pillar into a blackboard. "
            "Within minutes a dozen children are arguing about fractions.",
            "The older residents sit closer to the door, where the air is fresher, trading news from their phones "
            "until the signal fades.",
            "At 3:40 the all-clear sounds. Nobody moves at first; then the caretaker switches on the stairwell "
            "light and people fold their chairs in silence.",
            "By 4 a.m. the basement is empty again, except for the chalk sums on the pillar.",
        ],
    ),
    dict(
        slug="why-counting-the-damage-takes-so-long",
        title="Why counting the damage after a strike takes so long",
        authors=["Peter Oakes"],
        published="2026-01-15T07:00:00+00:00",
        modified="2026-01-16T10:00:00+00:00",
        paragraphs=[
            "Every strike on a city produces a first number within minutes and a final number weeks later. The "
            "gap between the two is where rumours grow.",
            "The first figures come from emergency services, which count people treated, not people hurt. Those "
            "who walk to a clinic the next day are added later.",
            "Damaged buildings are counted by engineers who must inspect each flat before declaring a block safe "
            "or unsafe, and there are rarely enough of them.",
            "Officials also revise figures downward when duplicate reports are merged, which can look like a "
            "cover-up even when it is not.",
            "Readers should treat early numbers as a floor, and look for the date on any figure they share.",
        ],
    ),
    dict(
        slug="the-library-that-never-closed",
        title="The library that never closed",
        authors=["Daria Melnyk", "Peter Oakes"],
        published="2026-01-18T11:45:00+00:00",
        paragraphs=[
            "The central library of Zarichansk has not closed for a single day since the war began, even when its "
            "windows were blown out twice.",
            "Its director, Nadiia Koval, moved the reading room to the basement and opened a charging station "
            "for laptops powered by a donated generator.",
            "Students preparing for exams now make up most of the visitors. Some arrive before opening and wait "
            "on the steps with their notes.",
            "The library has also started recording oral histories from residents, which it plans to publish when "
            "the fighting ends.",
        ],
    ),
    dict(
        slug="drone-debris-falls-on-kindergarten-roof",
        title="Drone debris falls on kindergarten roof in Zarichansk",
        authors=["Olesia Vakar"],
        published="2026-01-22T04:55:00+00:00",
        paragraphs=[
            "Debris from a downed drone fell on the roof of a kindergarten in Zarichansk overnight, starting a "
            "small fire that firefighters put out within half an hour.",
            "Nobody was inside the building, the emergency service said. The roof and two classrooms were "
            "damaged by water and smoke.",
            "Air defence units shot down eleven drones over the region during the night, according to the "
            "regional military administration.",
            "Parents were told that the children would be moved to a neighbouring kindergarten until repairs are "
            "complete.",
        ],
    ),
    dict(
        slug="fact-check-no-the-bridge-was-not-destroyed",
        title="Fact check: no, the Zarichna bridge was not destroyed",
        authors=["Peter Oakes"],
        published="2026-01-23T16:10:00+00:00",
        modified="2026-01-24T09:00:00+00:00",
        paragraphs=[
            "A photograph shared thousands of times on Monday claimed to show the collapsed road bridge over the "
            "River Zarichna. The bridge is standing and open to traffic.",
            "The image was first published in 2019 and shows a different bridge, damaged by a flood in another "
            "country, according to a reverse image search.",
            "Our reporter crossed the Zarichna bridge twice on Monday afternoon and filmed traffic moving in both "
            "directions.",
            "The regional administration also published a live camera feed of the bridge after the claim spread.",
            "Before sharing dramatic images, check when and where they were first published.",
        ],
    ),
]

UK = [
    dict(
        slug="u-shkoli-zarichanska-vidkryly-ukryttia",
        title="У школах Зарічанська відкрили нові укриття",
        authors=["Оксана Гребенюк"],
        published="2026-01-13T09:30:00+02:00",
        modified="2026-01-14T11:00:00+02:00",
        paragraphs=[
            "У шести школах Зарічанська завершили облаштування укриттів, тож з понеділка учні повертаються до "
            "очного навчання, повідомили в міському відділі освіти.",
            "Кожне укриття має запас води, генератор і окремі кімнати для молодших класів. Ремонт тривав понад "
            "три місяці.",
            "Батьки можуть оглянути укриття в суботу з 10:00 до 14:00, розповіла начальниця відділу Лариса Тимчук.",
            "Ще у восьми школах роботи тривають, їх планують завершити до весни.",
        ],
    ),
    dict(
        slug="na-sadovii-vidnovlyuyut-vikna",
        title="На Садовій вулиці почали відновлювати вікна після удару",
        authors=["Богдан Сич", "Оксана Гребенюк"],
        published="2026-01-15T17:05:00+02:00",
        modified="2026-01-17T09:45:00+02:00",
        paragraphs=[
            "Комунальники та волонтери почали засклювати вікна у будинках на Садовій вулиці, пошкоджених "
            "внаслідок ракетного удару минулого тижня.",
            "За даними міської ради, пошкоджено понад 600 вікон у дев'яти багатоповерхівках. Першими "
            "вікна отримують родини з дітьми та люди похилого віку.",
            "Мешканці можуть подати заявку через ЦНАП або телефоном гарячої лінії.",
            "Роботи планують завершити до кінця місяця, якщо погода дозволить.",
        ],
    ),
    dict(
        slug="likarnia-otrymala-heneratory",
        title="Міська лікарня отримала два потужні генератори",
        authors=["Ірина Гнатюк"],
        published="2026-01-16T12:40:00+02:00",
        paragraphs=[
            "Міська лікарня Зарічанська отримала два дизельні генератори від міжнародної благодійної організації.",
            "Їхньої потужності вистачить, щоб операційні та реанімація працювали без перебоїв під час "
            "відключень світла.",
            "Головний лікар Петро Мазур подякував донорам і зазначив, що раніше лікарня мала лише один "
            "резервний генератор.",
        ],
    ),
    dict(
        slug="avtobusy-kursuvatymut-za-novym-hrafikom",
        title="Автобуси курсуватимуть за новим графіком під час тривог",
        authors=["Богдан Сич"],
        published="2026-01-19T08:00:00+02:00",
        paragraphs=[
            "З понеділка міські автобуси Зарічанська під час повітряної тривоги не зупинятимуть рух, а "
            "доїжджатимуть до найближчої зупинки біля укриття.",
            "Рішення ухвалили після звернень пасажирів, які скаржилися, що їх висаджують посеред вулиці.",
            "Перелік зупинок біля укриттів оприлюднять на сайті міської ради та в застосунку перевізника.",
        ],
    ),
    dict(
        slug="volontery-zibraly-na-dron-dlia-riatuvalnykiv",
        title="Волонтери зібрали кошти на дрон для рятувальників",
        authors=["Ірина Гнатюк", "Тарас Коваль"],
        published="2026-01-21T20:15:00+02:00",
        modified="2026-01-23T13:00:00+02:00",
        paragraphs=[
            "Зарічанські волонтери за три дні зібрали 480 тисяч гривень на дрон з тепловізором для місцевого "
            "підрозділу ДСНС.",
            "Дрон допомагатиме рятувальникам шукати людей під завалами вночі та оцінювати пожежі з висоти.",
            "Організатори збору подякували понад двом тисячам донорів і пообіцяли оприлюднити звіт про витрати.",
            "Передати дрон планують наступного тижня.",
        ],
    ),
    dict(
        slug="u-misti-zapratsiuvav-punkt-nezlamnosti",
        title="У Зарічанську запрацював новий пункт незламності",
        authors=["Тарас Коваль"],
        published="2026-01-24T10:10:00+02:00",
        paragraphs=[
            "На території колишнього ринку в Зарічанську відкрили новий пункт незламності, який працюватиме "
            "цілодобово.",
            "Тут можна зігрітися, зарядити телефон, випити чаю та скористатися інтернетом.",
        ],
    ),
]

RU = [
    dict(
        slug="v-zarichanske-vosstanovili-vodosnabzhenie",
        title="В Зарічанске восстановили водоснабжение после удара",
        authors=["Алексей Мирный"],
        published="2026-01-16T14:20:00+02:00",
        modified="2026-01-18T10:00:00+02:00",
        paragraphs=[
            "Водоснабжение в северных районах Зарічанска полностью восстановлено спустя два дня после удара по "
            "водоочистной станции, сообщили в городском водоканале.",
            "Специалисты заменили повреждённые насосы и провели проверку качества воды. Жителям всё ещё "
            "рекомендуют кипятить воду до конца недели.",
            "Во время отключения воду развозили автоцистернами по двадцати адресам.",
            "Ремонт фильтровального зала продолжится ещё несколько недель.",
        ],
    ),
    dict(
        slug="shkolniki-vernulis-k-ochnomu-obucheniyu",
        title="Школьники Зарічанска вернулись к очному обучению",
        authors=["Елена Сорокина"],
        published="2026-01-19T09:00:00+02:00",
        paragraphs=[
            "В понедельник около двух тысяч школьников Зарічанска впервые с осени сели за парты в классах, а не "
            "перед экранами.",
            "В шести школах оборудованы укрытия с запасом воды и генераторами, поэтому занятия во время тревоги "
            "продолжатся под землёй.",
            "Родители говорят, что дети соскучились по друзьям и учителям, хотя многие волнуются за безопасность.",
            "Остальные школы пока продолжают работать дистанционно.",
        ],
    ),
    dict(
        slug="mer-predstavil-plan-vosstanovleniya",
        title="Мэр представил план восстановления пострадавших домов",
        authors=["Алексей Мирный", "Елена Сорокина"],
        published="2026-01-20T16:45:00+02:00",
        modified="2026-01-21T09:30:00+02:00",
        paragraphs=[
            "Мэр Зарічанска представил депутатам план восстановления 14 многоэтажных домов, пострадавших от "
            "ракетных ударов.",
            "В первую очередь отремонтируют кровли и окна, затем лифты и системы отопления.",
            "Стоимость работ оценивается в 230 миллионов гривен, часть средств выделят международные партнёры.",
            "Депутаты должны утвердить план на следующей сессии.",
        ],
    ),
    dict(
        slug="na-reke-zarichna-ustanovili-ledokoly",
        title="На реке Зарічна начали работу ледоколы",
        authors=["Виктор Дорош"],
        published="2026-01-12T11:30:00+02:00",
        paragraphs=[
            "Два ледокола начали прокладывать фарватер на реке Зарічна, где из-за морозов застряли баржи с зерном.",
            "По словам представителей порта, движение судов восстановится в течение недели.",
            "Синоптики прогнозируют сохранение сильных морозов до конца января.",
        ],
    ),
    dict(
        slug="volontery-otkryli-punkt-obogreva",
        title="Волонтеры открыли пункт обогрева у вокзала",
        authors=["Виктор Дорош", "Алексей Мирный"],
        published="2026-01-22T18:05:00+02:00",
        modified="2026-01-24T08:15:00+02:00",
        paragraphs=[
            "Волонтеры открыли круглосуточный пункт обогрева возле железнодорожного вокзала Зарічанска.",
            "Здесь можно согреться, выпить горячего чая и зарядить телефон, а пассажиры ночных поездов могут "
            "дождаться утра в тепле.",
            "За первые сутки пункт посетили более трёхсот человек.",
        ],
    ),
    dict(
        slug="v-gorode-proverili-sireny",
        title="В городе проверили систему оповещения",
        authors=["Елена Сорокина"],
        published="2026-01-25T12:00:00+02:00",
        paragraphs=[
            "В Зарічанске провели плановую проверку системы оповещения: все 46 сирен сработали исправно.",
            "Городские власти напоминают, что при сигнале тревоги нужно сразу пройти в ближайшее укрытие.",
        ],
    ),
]
