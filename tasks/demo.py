"""Demo tasks in Imatra: the default categories and rules, a litter-pick template, about thirty city and
neighbour tasks at real places (coordinates approximate), one blocked and one waiting for review, and a few
claims. Idempotent: a task whose title already exists for its poster is left alone.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from people.demo import demo_user
from people.models import Department
from tasks import exceptions, services
from tasks.defaults import install
from tasks.models import Category, Claim, MarketRule, Task, TaskPolicy, TaskTemplate

# department, category, title, description, address, lat, lon, reward cents, slots, photos, before/after, days
CITY_TASKS = [
    (
        "parks",
        "litter",
        "Roskien keräys Vuoksen rantapolulta",
        "Kerää roskat Vuoksen rantapolulta Mansikkalan sillalta kalastuspuistoon. Pussit ja pihdit saat kaupungintalon "
        "aulasta; siivousvälineet lainataan kaupungilta. Jätä täydet pussit roska-astioiden viereen.",
        "Vuoksen rantareitti, Mansikkala",
        "61.188400",
        "28.777900",
        800,
        4,
        2,
        True,
        10,
    ),
    (
        "parks",
        "litter",
        "Imatrankosken sillan ympäristön siistiminen",
        "Kerää roskat Imatrankosken sillan molemmilta puolilta ja koskenrannan portailta.",
        "Imatrankoski, Koskenparras",
        "61.171300",
        "28.768200",
        600,
        3,
        2,
        True,
        7,
    ),
    (
        "parks",
        "litter",
        "Kruununpuiston polkujen roskat",
        "Kruununpuiston luontopolut Valtionhotellin takana: kerää roskat poluilta ja levähdyspaikoilta.",
        "Kruununpuisto",
        "61.172400",
        "28.764600",
        700,
        2,
        2,
        True,
        10,
    ),
    (
        "parks",
        "litter",
        "Varpasaaren rantojen siivous",
        "Kerää roskat Varpasaaren rannoilta ja nuotiopaikalta. Saarelle pääsee kävelysiltaa pitkin.",
        "Varpasaari",
        "61.196800",
        "28.781400",
        900,
        3,
        2,
        True,
        14,
    ),
    (
        "parks",
        "litter",
        "Vuoksen kalastuspuiston roskat",
        "Kerää roskat kalastuspuiston laitureilta ja parkkipaikalta.",
        "Vuoksen kalastuspuisto, Kalastajantie",
        "61.201900",
        "28.789300",
        700,
        2,
        2,
        True,
        10,
    ),
    (
        "parks",
        "litter",
        "Ukonniemen uimarannan roskat",
        "Kerää roskat Ukonniemen uimarannalta ja rantaraitilta Saimaan puolella.",
        "Ukonniemi",
        "61.226500",
        "28.858700",
        800,
        2,
        2,
        True,
        10,
    ),
    (
        "parks",
        "park-care",
        "Lehtien haravointi Kruununpuiston laidalla",
        "Haravoi lehdet Kruununpuiston laidan nurmelta kasoihin. Haravat ovat puiston varastossa.",
        "Kruununpuisto, Valtionhotellin puoli",
        "61.171000",
        "28.765800",
        1200,
        3,
        2,
        True,
        7,
    ),
    (
        "parks",
        "park-care",
        "Puiston penkkien kunnon tarkistus Mansikkalassa",
        "Käy läpi Mansikkalan puiston penkit ja kuvaa rikkinäiset. Ilmoita sijainnit kuvan saatteessa.",
        "Mansikkalan puisto",
        "61.186200",
        "28.772300",
        500,
        1,
        2,
        False,
        14,
    ),
    (
        "parks",
        "nature",
        "Jättipalsamin kitkentä Vuoksen rannalla",
        "Kitke vieraslaji jättipalsami Vuoksen rannasta Tainionkosken kohdalta. Kasvit pussiin, pussit sekajätteeseen.",
        "Tainionkoski, Vuoksen ranta",
        "61.203700",
        "28.776400",
        1500,
        4,
        2,
        True,
        14,
    ),
    (
        "parks",
        "nature",
        "Lupiinien kitkentä Rautiossa",
        "Kitke komealupiinit Raution ulkoilureitin varresta ennen kuin ne siementävät.",
        "Rautio, ulkoilureitti",
        "61.145200",
        "28.778100",
        1200,
        3,
        2,
        True,
        14,
    ),
    (
        "parks",
        "nature",
        "Linnunpönttöjen tarkistus Karhumäessä",
        "Tarkista Karhumäen ulkoilualueen kymmenen linnunpönttöä ja kuvaa jokainen.",
        "Karhumäki",
        "61.163100",
        "28.723300",
        1000,
        1,
        3,
        False,
        21,
    ),
    (
        "library",
        "library",
        "Palautettujen kirjojen hyllytys pääkirjastossa",
        "Auta hyllyttämään palautettuja kirjoja lastenosastolla kahden tunnin ajan. Henkilökunta opastaa.",
        "Imatran pääkirjasto, Virastokatu 1",
        "61.187300",
        "28.774500",
        1000,
        2,
        1,
        False,
        10,
    ),
    (
        "library",
        "library",
        "Lukupiirin tilan järjestely Vuoksenniskan kirjastossa",
        "Järjestä tuolit ja pöydät lukupiiriä varten ja palauta ne paikoilleen sen jälkeen.",
        "Vuoksenniskan kirjasto",
        "61.214700",
        "28.803600",
        600,
        1,
        1,
        False,
        10,
    ),
    (
        "library",
        "digital-help",
        "Digiopastuksen avustaja pääkirjastossa",
        "Auta kirjaston digiopastuksessa: neuvo kävijöitä älypuhelimen ja sähköisen asioinnin käytössä.",
        "Imatran pääkirjasto, Virastokatu 1",
        "61.187300",
        "28.774500",
        1500,
        2,
        1,
        False,
        14,
    ),
    (
        "sports",
        "events",
        "Koskinäytöksen opastaja Imatrankoskella",
        "Opasta koskinäytöksen yleisöä Imatrankosken sillalla ja Kruununpuiston puolella tunnin ajan.",
        "Imatrankoski",
        "61.170600",
        "28.769500",
        1500,
        4,
        1,
        False,
        21,
    ),
    (
        "sports",
        "events",
        "Imatra-ajon talkoolainen: opasteiden pystytys",
        "Pystytä reittiopasteita ulkoilutapahtumaa varten Ukonniemessä. Opasteet saat Ukonniemen huoltorakennuksesta.",
        "Ukonniemi",
        "61.224800",
        "28.855000",
        1200,
        3,
        2,
        False,
        14,
    ),
    (
        "youth",
        "events",
        "Nuorisotalon kevätjuhlan järjestelyapu",
        "Auta Mansikkalan nuorisotalon kevätjuhlan järjestelyissä: pöydät, tuolit ja koristelu.",
        "Mansikkala",
        "61.183800",
        "28.769900",
        1000,
        3,
        1,
        False,
        14,
    ),
    (
        "youth",
        "litter",
        "Vuoksenniskan skeittiparkin siistiminen",
        "Kerää roskat skeittiparkista ja sen ympäristöstä.",
        "Vuoksenniska",
        "61.213200",
        "28.809400",
        600,
        2,
        2,
        True,
        10,
    ),
]

# poster e-mail, category, title, description, address, lat, lon, reward cents, slots, photos, days
PEER_TASKS = [
    (
        "naapuri@example.fi",
        "neighbour-help",
        "Kauppakassien kantaminen kolmanteen kerrokseen",
        "Tarvitsen apua kauppakassien kantamisessa torstaina kello 17. Asun kolmannessa kerroksessa ilman hissiä.",
        "Mansikkala",
        "61.185400",
        "28.770100",
        600,
        1,
        0,
        5,
    ),
    (
        "asukas@example.fi",
        "neighbour-help",
        "Kissan ruokinta viikonloppuna",
        "Olen matkoilla lauantaista sunnuntaihin. Kissa tarvitsee ruokaa ja vettä kerran päivässä, avain naapurilta.",
        "Mansikkala",
        "61.186900",
        "28.771300",
        800,
        1,
        0,
        6,
    ),
    (
        "asukas@example.fi",
        "digital-help",
        "Apua uuden puhelimen käyttöönottoon",
        "Äitini sai uuden älypuhelimen. Tarvitsemme apua yhteystietojen siirrossa ja sovellusten asennuksessa.",
        "Imatrankoski",
        "61.172800",
        "28.765900",
        500,
        1,
        0,
        7,
    ),
    (
        "elsa@example.fi",
        "digital-help",
        "Hjälp med att skriva ut biljetter",
        "Jag behöver hjälp att boka och skriva ut tågbiljetter på biblioteket en gång nästa vecka.",
        "Vuoksenniska",
        "61.214200",
        "28.803100",
        600,
        1,
        0,
        7,
    ),
    (
        "naapuri@example.fi",
        "neighbour-help",
        "Joulukuusen kantaminen kotiin",
        "Kuusi on ostettu torilta. Tarvitsen kantoapua torilta kotiin Mansikkalaan, noin 500 metriä.",
        "Imatran tori",
        "61.187800",
        "28.774000",
        500,
        1,
        0,
        10,
    ),
]

BLOCKED_DEMO = (
    "mika@example.fi",
    "neighbour-help",
    "Ikkunanpesu kotona",
    "Pesen ikkunasi sisältä ja ulkoa 15 eRahaa vastaan. Voin tulla joka viikko.",
    1500,
)
REVIEW_DEMO = (
    "naapuri@example.fi",
    "neighbour-help",
    "Apua muuton jälkeiseen purkamiseen",
    "Tarvitsen apua laatikoiden purkamisessa. Voin maksaa lisäksi käteisellä.",
    500,
)

TEMPLATE_PLACES = [
    ("Kaupungintalon puisto", "Virastokatu 2", "61.186600", "28.773800"),
    ("Imatrankosken koskenranta", "Koskenparras", "61.170900", "28.767800"),
    ("Vuoksenniskan kirkon puisto", "Ruokolahdentie", "61.214500", "28.814500"),
    ("Tainionkosken rantapuisto", "Tainionkoskentie", "61.200100", "28.780200"),
    ("Ritikanrannan ranta", "Ritikanranta", "61.207000", "28.765700"),
    ("Rautionkylän puisto", "Rautionkatu", "61.146300", "28.779000"),
]

# resident e-mail, title of a city task to claim
CLAIMS = [
    ("asukas@example.fi", "Roskien keräys Vuoksen rantapolulta"),
    ("asukas@example.fi", "Jättipalsamin kitkentä Vuoksen rannalla"),
    ("mika@example.fi", "Roskien keräys Vuoksen rantapolulta"),
    ("sara@example.fi", "Koskinäytöksen opastaja Imatrankoskella"),
    ("elsa@example.fi", "Varpasaaren rantojen siivous"),
    ("naapuri@example.fi", "Kissan ruokinta viikonloppuna"),
    ("mika@example.fi", "Kauppakassien kantaminen kolmanteen kerrokseen"),
]


def _values(category_slug, title, description, address, lat, lon, reward, slots, photos, before_after, deadline):
    category = Category.objects.get(slug=category_slug)
    return {
        "category": category,
        "title": title,
        "description": description,
        "address": address,
        "latitude": Decimal(lat) if lat else None,
        "longitude": Decimal(lon) if lon else None,
        "reward_cents": reward,
        "slots": slots,
        "claim_window_hours": 48 if photos else 72,
        "deadline": deadline,
        "photo_count": photos,
        "before_after": before_after,
        "taken_after_claim": bool(photos),
        "max_distance_m": category.default_max_distance_m if photos and lat else None,
    }


def _publish(task, actor, now, lines) -> None:
    try:
        services.submit_task(task=task, actor=actor, now=now)
    except exceptions.TaskError as error:
        lines.append(f"  could not publish {task.title!r}: {error.message}")


def seed(*, now) -> list[str]:
    created = install(Category=Category, MarketRule=MarketRule, TaskPolicy=TaskPolicy)
    lines = [f"Tasks: default rules ({len(created)} rows created)."]
    publisher = demo_user("julkaisija@example.fi")
    admin = demo_user("admin@example.fi")
    new_tasks = 0

    for dept, cat, title, description, address, lat, lon, reward, slots, photos, before_after, days in CITY_TASKS:
        department = Department.objects.get(slug=dept)
        if Task.objects.filter(department=department, title=title).exists():
            continue
        actor = publisher if dept == "parks" else admin
        values = _values(
            cat, title, description, address, lat, lon, reward, slots, photos, before_after, now + timedelta(days=days)
        )
        task = services.create_task(created_by=actor, department=department, now=now, **values)
        _publish(task, actor, now, lines)
        new_tasks += 1

    for email, cat, title, description, address, lat, lon, reward, slots, photos, days in PEER_TASKS:
        poster = demo_user(email)
        if Task.objects.filter(poster=poster, title=title).exists():
            continue
        values = _values(
            cat, title, description, address, lat, lon, reward, slots, photos, False, now + timedelta(days=days)
        )
        task = services.create_task(created_by=poster, poster=poster, now=now, **values)
        _publish(task, poster, now, lines)
        new_tasks += 1

    for email, cat, title, description, reward in (BLOCKED_DEMO, REVIEW_DEMO):
        poster = demo_user(email)
        if Task.objects.filter(poster=poster, title=title).exists():
            continue
        values = _values(cat, title, description, "", None, None, reward, 1, 0, False, now + timedelta(days=5))
        task = services.create_task(created_by=poster, poster=poster, now=now, **values)
        _publish(task, poster, now, lines)
        new_tasks += 1

    template, _ = TaskTemplate.objects.get_or_create(
        department=Department.objects.get(slug="parks"),
        name="Roskien keräys puistossa",
        defaults={
            "category": Category.objects.get(slug="litter"),
            "title": "Roskien keräys: {place}",
            "description": "Kerää roskat puistosta ja sen reunoilta. Pussit ja pihdit saat kaupungintalon aulasta.",
            "reward_cents": 500,
            "slots": 2,
            "claim_window_hours": 48,
            "days_open": 14,
            "photo_count": 2,
            "before_after": True,
            "taken_after_claim": True,
            "max_distance_m": 300,
            "created_by": publisher,
        },
    )
    if not template.tasks.exists():
        csv_text = "\n".join(",".join(place) for place in TEMPLATE_PLACES)
        rows = services.parse_place_rows(csv_text)
        new_tasks += len(services.create_tasks_from_template(template=template, rows=rows, actor=publisher, now=now))

    claims = 0
    for email, title in CLAIMS:
        resident = demo_user(email)
        task = Task.objects.filter(title=title).first()
        if task is None or Claim.objects.filter(task=task, resident=resident).exists():
            continue
        try:
            services.claim_task(task=task, resident=resident, now=now)
        except exceptions.TaskError as error:
            lines.append(f"  could not claim {title!r} for {email}: {error.message}")
            continue
        claims += 1

    total = Task.objects.count()
    lines.append(f"Tasks: {new_tasks} created now, {total} in all; {claims} claims made now.")
    return lines
