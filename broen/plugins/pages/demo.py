"""The pages plugin's demo data (`broen demo`): a few pages a new installation can start from (the method,
a café-course checklist, a letter to a company), one page for the mentors only, and two news items, all
published to the municipality. Written by a coordinator and published by the admin, through the services.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select

from broen import api
from broen.plugins.pages import services
from broen.plugins.pages.models import Audience, Kind, Page

METHOD = """Hos os er det dig, der bestemmer. Du er ekspert i dit eget liv, og vi går i dit tempo.

## Sådan arbejder vi
- **Én fast kontaktperson.** Du har den samme kontaktperson hele vejen, og vi taler sammen mindst hver
  tredje uge.
- **Du sætter dagsordenen.** Vi taler om det, der fylder for dig, og om dine ønsker og drømme for et arbejde.
- **Vi går efter drømmen først.** Kan den ikke lade sig gøre lige nu, går vi efter det næstbedste, og vi
  bliver ved, til det lykkes.
- **Vi er din forlængede arm.** Du peger på de virksomheder, du kan se dig selv i. Vi tager kontakten til
  arbejdspladsen, hvis det er svært for dig selv.
- **Vi slipper dig ikke, når du er ansat.** I op til seks måneder efter ansættelsen kan du og arbejdspladsen
  stadig ringe til os. Derefter overtager kommunens fastholdelseskonsulenter.

## Til medarbejderen
Spørg, lyt og vent. Lav ikke en plan for borgeren: lav den sammen med borgeren. Skriv aftaler ned med
borgerens egne ord.
"""

CHECKLIST = """Et cafékursus er fem møder på to timer for borgere, der er godkendt til fleksjob på grund af
psykisk sårbarhed. Der er ingen fast dagsorden: deltagerne foreslår emnerne.

## Før kurset
- [ ] Book lokale til alle fem møder (tjek adgang, lys og ro).
- [ ] Opret kurset og møderne i broen, så deltagerne kan tilmelde sig.
- [ ] Inviter deltagerne personligt, og fortæl at det er frivilligt at komme.
- [ ] Aftal eventuelle gæster: en virksomhed, eller en der selv lever med psykisk sygdom.

## Til hvert møde
- [ ] Kaffe, te og lidt at spise.
- [ ] Se deltagernes forslag til emner igennem.
- [ ] Start med en runde: hvordan går det, og hvad vil I gerne tale om i dag?
- [ ] Hold en positiv tone. Ingen skal sige noget, de ikke har lyst til.

## Efter kurset
- [ ] Registrer fremmøde.
- [ ] Følg op på de jobønsker og virksomheder, deltagerne nævnte.
"""

LETTER = """Brug skabelonen, når en borger har peget på en virksomhed. Skriv kun det om borgeren, som
borgeren har sagt ja til.

---

**Emne:** Kan I bruge en ny kollega i fleksjob?

Kære [navn på kontaktperson]

Jeg skriver til jer fra jobcentret i [kommune]. Jeg hjælper en borger, som gerne vil arbejde hos jer,
og som er godkendt til fleksjob.

Borgeren er god til [styrker med borgerens egne ord] og vil gerne arbejde med [opgaver]. Arbejdstiden
vil være [antal] timer om ugen, og vi kan tale om praktik først, så I kan lære hinanden at kende.

Vi følger ansættelsen i op til seks måneder, så både I og borgeren altid har nogen at ringe til.

Må jeg ringe til dig i næste uge og fortælle mere?

Venlig hilsen
[dit navn], [telefon]
"""

MENTORS = """Tak fordi du er frivillig mentor. Her er det vigtigste at huske.

- I aftaler selv, hvad kontakten er: en gåtur, en kop kaffe eller et telefonopkald om, hvordan dagen gik.
- I aftaler selv, hvor tit I ses. Det er i orden at sige fra, hvis det bliver for meget.
- Du er ikke behandler. Bliver du bekymret for din borger, så ring til koordinatoren.
- Skriv kort i broen, når I har mødtes: hvornår og hvordan, ikke hvad I talte om.
"""

NEWS = [
    (
        "Nyt cafékursus starter efter ferien",
        "Vi starter et nyt cafékursus med fem møder. Fortæl de borgere, der kunne have glæde af det, at "
        "de kan tilmelde sig i broen.",
        -3,
    ),
    (
        "Velkommen til broen",
        "Her finder du metoden, tjeklister og skabeloner. Brug søgefeltet på siden **Sider og nyheder**.",
        -14,
    ),
]


def create(municipality: api.Municipality, staff: Sequence[api.User]) -> None:
    """The demo pages of `municipality` (nothing when it has pages already)."""
    db = api.db()
    if db.session.scalar(select(Page.id).where(Page.municipality_id == municipality.id).limit(1)):
        return
    writer = next(u for u in staff if u.role_in(municipality.id) == api.Role.COORDINATOR)
    admin = next(u for u in staff if u.role_in(municipality.id) == api.Role.ADMIN)
    today = api.local_today(municipality)

    def page(
        title: str, body: str, audience: Audience = Audience.MUNICIPALITY, parent: Page | None = None
    ) -> Page:
        made = services.create_page(db, municipality, writer, services.PageData(title, body), parent=parent)
        services.publish(db, made, admin, audience, api.Role.MENTOR if audience == Audience.ROLE else None)
        return made

    method = page("Metoden: Du bestemmer", METHOD)
    page("Tjekliste til et cafékursus", CHECKLIST, parent=method)
    page("Brevskabelon: første kontakt til en virksomhed", LETTER, parent=method)
    page("Til frivillige mentorer: sådan holder du kontakten", MENTORS, Audience.ROLE)
    for title, body, days in NEWS:
        item = services.create_page(
            db,
            municipality,
            writer,
            services.PageData(title, body, news_date=today + timedelta(days=days)),
            kind=Kind.NEWS,
        )
        services.publish(db, item, admin, Audience.MUNICIPALITY)
