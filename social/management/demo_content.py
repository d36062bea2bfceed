"""What the demo town hall talks about: its groups, posts and comments.

Data only, read by `manage.py seed_demo`. People are named by reference, resolved
when seeding:

- a username (`"agathe.leroy"`);
- `"head:<department slug>"`: the head of that service;
- `"agent:<department slug>"`: one agent of that service (not its head);
- in posts, `OWNER`, `ADMIN` (a group admin, else the owner) or `MEMBER` (any
  active member, drawn at random).
"""

import re
from dataclasses import dataclass

from social.models import GroupKind, ReactionKind, Visibility

OWNER = "@owner"
ADMIN = "@admin"
MEMBER = "@member"

COMMUNICATOR = "agathe.leroy"
ORG_ADMIN = "admin"
GARDENER = "gregoire.petit"


@dataclass(frozen=True)
class GroupSpec:
    """A group of the demo town hall and who is in it."""

    slug: str
    name: str
    kind: str
    visibility: str
    description: str
    owner: str
    admins: tuple[str, ...] = ()
    # Always members, besides the owner and admins.
    members: tuple[str, ...] = ()
    # The share of everyone else who joined.
    share: float = 0.0
    # How many more asked to join and wait for an admin (private groups).
    pending: int = 0
    # A department's group: all its people are members, and it is linked to it.
    department: str | None = None


def unwrap(text: str) -> str:
    """Join the lines of each paragraph, as a phone's text field would send them:
    the sources here are wrapped for reading, and the renderer keeps line breaks.
    Lists keep their lines."""
    return re.sub(r"(?<=\S)\n[ \t]*(?=[^\s\-*\d#|>])", " ", text)


@dataclass(frozen=True)
class PostSpec:
    """A post; `group` is a slug, or None for the whole organisation."""

    group: str | None
    author: str
    body: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "body", unwrap(self.body))

    # Which comments it draws (a key of COMMENTS) and which reactions.
    tone: str
    is_announcement: bool = False
    is_pinned: bool = False


GROUPS = [
    GroupSpec(
        "la-machine-a-cafe",
        "La Machine à café",
        GroupKind.SOCIAL,
        Visibility.PUBLIC,
        "Les petites nouvelles entre collègues : objets trouvés, covoiturage, "
        "gâteaux d'anniversaire et bons plans.",
        owner="agent:etat-civil",
        admins=("agent:informatique",),
        members=(COMMUNICATOR, GARDENER, ORG_ADMIN),
        share=0.45,
    ),
    GroupSpec(
        "la-mairie-dans-la-marmite",
        "La Mairie dans la marmite",
        GroupKind.SOCIAL,
        Visibility.PUBLIC,
        "Nos recettes préférées, testées en salle de pause. Une recette par post, "
        "les ingrédients d'abord !",
        owner="agent:finances",
        members=(COMMUNICATOR, GARDENER),
        share=0.3,
    ),
    GroupSpec(
        "un-jour-une-fleur",
        "Un jour, une fleur",
        GroupKind.SOCIAL,
        Visibility.PUBLIC,
        "L'énigme fleurie des jardiniers de la ville : devinez la fleur du jour, "
        "la réponse est dans les commentaires.",
        owner=GARDENER,
        admins=("head:espaces-verts",),
        members=(COMMUNICATOR,),
        share=0.3,
    ),
    GroupSpec(
        "lettre-interne",
        "Lettre interne",
        GroupKind.TOPIC,
        Visibility.PUBLIC,
        "La lettre interne mensuelle de la mairie, par le service communication. "
        "Vos idées de sujets sont les bienvenues.",
        owner=COMMUNICATOR,
        admins=("head:communication",),
        members=(ORG_ADMIN,),
        share=0.6,
    ),
    GroupSpec(
        "fete-du-personnel",
        "Fête du personnel",
        GroupKind.PROJECT,
        Visibility.PRIVATE,
        "L'équipe qui prépare la prochaine fête du personnel : lieu, animations, "
        "budget. Envie d'aider ? Demandez à nous rejoindre.",
        owner="head:ressources-humaines",
        admins=(COMMUNICATOR,),
        members=("agent:culture-et-animation", "agent:services-techniques"),
        share=0.08,
        pending=2,
    ),
    GroupSpec(
        "comite-de-direction",
        "Comité de direction",
        GroupKind.TOPIC,
        Visibility.SECRET,
        "Préparation et suivi des comités de direction. Confidentiel.",
        owner=ORG_ADMIN,
        admins=("head:direction-generale",),
        members=(
            "head:ressources-humaines",
            "head:finances",
            "head:services-techniques",
            "head:communication",
        ),
    ),
]

DEPARTMENT_GROUP_DESCRIPTION = (
    "L'espace de l'équipe {name} : infos de service, plannings et entraide."
)

# Organisation-wide, oldest first: communicators and admins only.
ORGANISATION_POSTS = [
    PostSpec(
        None,
        COMMUNICATOR,
        """## Bienvenue sur Parvis 👋

Parvis est le réseau social interne de la mairie : les annonces de la
collectivité, la lettre interne, les groupes de chaque service et ceux que l'on
crée pour le plaisir.

- suivez les annonces ici, dans le fil ;
- rejoignez les groupes qui vous intéressent (**La Machine à café**, **La Mairie
  dans la marmite**, **Un jour, une fleur**…) ;
- retrouvez vos collègues dans l'annuaire, avec leur service et leur site.

Une question, une idée ? Écrivez-moi ou passez au service communication. Bonne
découverte !""",
        "announcement",
        is_announcement=True,
        is_pinned=True,
    ),
    PostSpec(
        None,
        COMMUNICATOR,
        """**Note RH : les entretiens professionnels**

La campagne des entretiens professionnels s'ouvre cette semaine et dure six
semaines. Votre responsable vous proposera un créneau ; le support d'entretien
et le guide sont disponibles auprès de lui ou d'elle.

Le service des ressources humaines répond à vos questions au poste 2140.""",
        "announcement",
        is_announcement=True,
    ),
    PostSpec(
        None,
        COMMUNICATOR,
        """🩸 **Don du sang à la salle des fêtes**

L'Établissement français du sang installe sa collecte à la salle des fêtes jeudi
prochain, de 14 h à 19 h. Les agents peuvent s'y rendre sur leur temps de
travail, avec l'accord de leur responsable. Pensez à bien manger avant !""",
        "event",
    ),
    PostSpec(
        None,
        ORG_ADMIN,
        """### Bonne pratique : verrouillez votre poste

Vous quittez votre bureau, même cinq minutes ? **Windows + L**, et personne ne
lit vos courriels ni n'envoie de message à votre place.

Sur les postes partagés des accueils, pensez à vous déconnecter en fin de
service.""",
        "practice",
    ),
    PostSpec(
        None,
        COMMUNICATOR,
        """**Note RH : le bulletin de paie dématérialisé**

À partir du mois prochain, vos bulletins de paie seront déposés dans votre
coffre-fort numérique, consultable depuis un ordinateur ou un téléphone.

Vous préférez garder une version papier ? Signalez-le au service paie avant la
fin du mois.""",
        "announcement",
        is_announcement=True,
    ),
    PostSpec(
        None,
        COMMUNICATOR,
        """🌱 **Portes ouvertes aux serres municipales**

Samedi, les serres municipales ouvrent leurs portes au public de 10 h à 17 h :
visite des serres, troc de boutures et atelier rempotage pour les enfants.

L'équipe des espaces verts cherche encore deux ou trois bénévoles pour
l'accueil : faites-vous connaître !""",
        "event",
    ),
    PostSpec(
        None,
        ORG_ADMIN,
        """### Bonne pratique : un courriel suspect ?

Un message qui presse (« votre compte sera bloqué »), une adresse d'expéditeur
étrange, une pièce jointe inattendue : **ne cliquez pas**.

1. Transférez-le au support informatique ;
2. supprimez-le ;
3. en cas de doute, appelez le 2222.""",
        "practice",
    ),
    PostSpec(
        None,
        COMMUNICATOR,
        """**Travaux à l'hôtel de ville**

Pendant la réfection du hall, l'entrée du personnel se fait par la porte
arrière, côté parking, du lundi au vendredi. Pensez à prendre votre badge.
Merci de votre patience !""",
        "announcement",
        is_announcement=True,
    ),
    PostSpec(
        None,
        COMMUNICATOR,
        """📷 **Exposition « Parvis d'hier et d'aujourd'hui »**

La médiathèque expose les photos d'archives de la ville à côté des mêmes lieux
photographiés cette année. Vernissage vendredi à 18 h 30 : tous les agents sont
invités, avec leur famille.""",
        "event",
    ),
    PostSpec(
        None,
        COMMUNICATOR,
        """**Note RH : les formations du semestre**

Le catalogue est disponible auprès de votre responsable. Au programme :

- premiers secours (PSC1) ;
- gestes et postures ;
- bureautique, du débutant au confirmé ;
- accueillir un public difficile.

Les inscriptions se font par votre responsable avant la fin du mois.""",
        "announcement",
        is_announcement=True,
    ),
    PostSpec(
        None,
        ORG_ADMIN,
        """### Bonne pratique : imprimer moins

Les copieurs sont réglés en recto verso, noir et blanc, par défaut. Vos
impressions vous attendent jusqu'à ce que vous passiez votre badge : ce qui
n'est pas retiré au bout de 24 heures est effacé, sans papier gâché.""",
        "practice",
    ),
    PostSpec(
        None,
        COMMUNICATOR,
        "La lettre interne de ce mois est en ligne dans le groupe **Lettre "
        "interne** : le nouveau centre technique, les départs à la retraite et la "
        "recette du mois. Bonne lecture !",
        "announcement",
    ),
]

LETTERS = [
    PostSpec(
        "lettre-interne",
        COMMUNICATOR,
        """# Lettre interne n° 41

## Le mot de la direction générale

Merci à toutes et à tous pour la mobilisation de ces dernières semaines : le
forum des associations a accueilli plus de 2 000 visiteurs, grâce aux équipes
techniques, à la police municipale et aux bénévoles.

## Ça s'est passé chez nous

- Les jardiniers ont replanté les massifs de la place de la République.
- La médiathèque a accueilli 300 élèves pour le festival de la bande dessinée.
- L'état civil a célébré son 100e mariage de l'année.

## Ils nous ont rejoints

Bienvenue à nos nouveaux collègues de la police municipale et des services
techniques !

## Agenda

- Don du sang à la salle des fêtes
- Portes ouvertes des serres municipales""",
        "letter",
        is_announcement=True,
    ),
    PostSpec(
        "lettre-interne",
        ADMIN,
        "Vous avez un métier, un projet ou un collègue à faire connaître ? La "
        "rubrique **Portrait** de la prochaine lettre vous attend : répondez ici "
        "ou écrivez au service communication.",
        "work",
    ),
    PostSpec(
        "lettre-interne",
        COMMUNICATOR,
        """# Lettre interne n° 42

## Le nouveau centre technique

Les ateliers du centre technique municipal ont emménagé dans leurs nouveaux
locaux : vestiaires neufs, atelier de menuiserie agrandi et un vrai coin repas.

## Ils prennent leur retraite

Trois collègues des services techniques et de l'état civil partent à la retraite
ce mois-ci, après 97 années de service à eux trois. Merci à eux !

## Le chiffre du mois

**1 250** arbres entretenus par les espaces verts cette année.

## La recette du mois

La tarte tatin de *La Mairie dans la marmite* : à retrouver dans le groupe.""",
        "letter",
        is_announcement=True,
        is_pinned=True,
    ),
]

RECIPES = [
    """## Tarte tatin

**Pour 6 personnes**

- 6 pommes (des reinettes si possible)
- 100 g de sucre
- 60 g de beurre demi-sel
- 1 pâte brisée

1. Faites un caramel avec le sucre et le beurre dans le moule.
2. Rangez les pommes en quartiers bien serrés dessus.
3. Couvrez de pâte et enfournez 35 minutes à 200 °C.
4. Démoulez tiède, d'un geste franc !""",
    """## Velouté de potimarron

**Pour 4 personnes**

- 1 potimarron
- 1 oignon
- 50 cl de bouillon de légumes
- 10 cl de crème

Pas besoin d'éplucher le potimarron : coupez-le en cubes, faites revenir avec
l'oignon, couvrez de bouillon et laissez cuire 25 minutes. Mixez avec la crème.
Une pincée de muscade, et c'est prêt.""",
    """## Quiche lorraine de ma grand-mère

**Pour 6 personnes**

- 1 pâte brisée
- 200 g de lardons
- 3 œufs
- 25 cl de crème épaisse
- 25 cl de lait

Faites dorer les lardons, battez œufs, crème et lait, poivrez (pas de sel, les
lardons suffisent). Versez sur la pâte et laissez cuire 40 minutes à 180 °C.
Et surtout : **pas de fromage**, c'est la vraie !""",
    """## Far breton

**Pour 8 parts**

- 250 g de farine
- 150 g de sucre
- 4 œufs
- 1 litre de lait
- 250 g de pruneaux

Mélangez farine et sucre, ajoutez les œufs un à un puis le lait. Versez sur les
pruneaux dans un plat beurré et enfournez une heure à 200 °C. Encore meilleur le
lendemain, en salle de pause.""",
    """## Taboulé libanais

Beaucoup de persil, peu de boulgour : c'est le secret.

- 3 bottes de persil plat
- 1/2 botte de menthe
- 50 g de boulgour fin
- 4 tomates, 1 oignon nouveau
- le jus de 2 citrons et de l'huile d'olive

Ciselez finement les herbes, coupez les tomates en petits dés, mélangez avec le
boulgour cru, le citron et l'huile. Laissez reposer une heure au frais.""",
    """## Rillettes de thon express

Pour l'apéritif du vendredi :

- 1 boîte de thon au naturel
- 100 g de fromage frais
- le jus d'un demi-citron
- ciboulette, sel et poivre

Écrasez le tout à la fourchette, et c'est tout ! Servez avec des radis et du
pain grillé.""",
    """## Clafoutis aux cerises

**Pour 6 personnes**

- 500 g de cerises (on garde les noyaux, c'est plus parfumé)
- 3 œufs
- 80 g de sucre
- 80 g de farine
- 30 cl de lait

Fouettez œufs et sucre, ajoutez la farine puis le lait. Versez sur les cerises
et laissez cuire 40 minutes à 180 °C.""",
]

# (the riddle, the answer with its article)
RIDDLES = [
    (
        "Jeune, je tourne la tête vers le soleil toute la journée ; plus tard, mes "
        "graines régalent les mésanges.",
        "le tournesol",
    ),
    (
        "Je pousse au bord des chemins et dans les champs de blé, mes pétales "
        "rouges sont fragiles comme du papier de soie.",
        "le coquelicot",
    ),
    (
        "On m'offre au mois de mai, mes clochettes blanches sentent bon, mais "
        "attention : je suis toxique.",
        "le muguet",
    ),
    (
        "Mes petites fleurs bleues au cœur jaune demandent qu'on ne les oublie pas.",
        "le myosotis",
    ),
    (
        "On m'appelle la reine des fleurs, j'ai des épines et mon parfum sert "
        "depuis des siècles.",
        "la rose",
    ),
    (
        "Je viens d'Australie, je fleuris en plein hiver en petits pompons jaunes, "
        "et la Côte d'Azur me fait une fête.",
        "le mimosa",
    ),
    (
        "Les abeilles m'adorent, je parfume les armoires et la Provence en été.",
        "la lavande",
    ),
    (
        "On effeuille mes pétales blancs pour savoir si l'on est aimé : un peu, "
        "beaucoup, passionnément…",
        "la marguerite",
    ),
    (
        "Jaune comme une trompette, j'annonce le printemps ; un de mes cousins "
        "porte le nom d'un jeune homme amoureux de son reflet.",
        "la jonquille",
    ),
    (
        "Venue de Turquie, j'ai tant fait tourner la tête des Hollandais qu'un de "
        "mes bulbes a valu le prix d'une maison.",
        "la tulipe",
    ),
    (
        "Bleu, rose ou blanc selon l'acidité de la terre, je fais de grosses "
        "boules dans les jardins bretons.",
        "l'hortensia",
    ),
    (
        "Je grimpe sur les façades, mes grappes mauves pendent au printemps et je "
        "peux vivre plus de cent ans.",
        "la glycine",
    ),
    (
        "Au Japon, on pique-nique sous mes branches roses pour fêter le printemps.",
        "le cerisier du Japon",
    ),
    (
        "On me souffle pour faire un vœu, mes feuilles font une bonne salade et "
        "mon nom est un peu gênant.",
        "le pissenlit",
    ),
]

RIDDLE_BODY = """**Énigme n° {number}** 🌸

{riddle}

Qui suis-je ? Réponse en commentaire !"""

SOCIAL_POSTS = [
    "Qui a oublié un parapluie bleu dans la salle de pause du 2e étage ? Il attend "
    "son propriétaire à l'accueil ☂️",
    "Gâteau au yaourt en salle de pause pour fêter mon anniversaire : servez-vous "
    "avant 10 h, après je ne garantis rien 🎂",
    "**Covoiturage** : je viens tous les jours de Saint-Benoît, arrivée 8 h, départ "
    "17 h. Quelqu'un fait le même trajet ? On partage les frais.",
    "La machine à café du centre technique est réparée ! C'était le détartrage. "
    "On dit merci qui ? ☕",
    "Pot de départ à la retraite de notre collègue de l'état civil vendredi à "
    "16 h, salle des mariages. Venez nombreux !",
    "Quelqu'un aurait un chargeur USB-C à me prêter pour la journée ? Je suis au "
    "bureau 204.",
    "Petit sondage sans importance : thé ou café ? Je compte les réponses en "
    "commentaire 😄",
    "Le club de lecture du midi reprend jeudi à la médiathèque, 12 h 15. On parle "
    "du livre qu'on veut et on apporte son sandwich.",
    "Match de foot agents contre élus samedi : il nous manque deux joueurs ou "
    "joueuses. Niveau requis : enthousiaste.",
]

# The two posts of each department's group, by department slug: (author, body).
DEPARTMENT_POSTS = {
    "direction-generale": [
        (
            "head",
            "Réunion de service lundi à 9 h : budget primitif et calendrier des "
            "prochains conseils municipaux.",
        ),
        (
            "member",
            "Les comptes rendus du dernier conseil municipal sont dans le dossier "
            "partagé « Conseils ».",
        ),
    ],
    "ressources-humaines": [
        (
            "head",
            "Rappel : les demandes de congés d'été sont à saisir avant la fin du "
            "mois, merci de relancer vos services.",
        ),
        (
            "member",
            "Deux recrutements en cours : un agent de voirie et un ou une "
            "bibliothécaire. Les offres sont en ligne, pensez à les relayer.",
        ),
    ],
    "finances": [
        (
            "head",
            "Clôture des engagements : merci de nous transmettre les bons de "
            "commande avant le 15.",
        ),
        (
            "member",
            "Le nouveau circuit de validation des factures est en place ; le mode "
            "d'emploi est dans le dossier partagé.",
        ),
    ],
    "informatique": [
        (
            "head",
            "Mise à jour des postes mardi soir : laissez vos ordinateurs allumés, "
            "session fermée.",
        ),
        (
            "member",
            "Les casques pour la visio sont arrivés : on équipe les accueils en "
            "premier, les autres services la semaine prochaine.",
        ),
    ],
    "communication": [
        (
            "head",
            "Bouclage de la lettre interne jeudi : envoyez vos sujets à Agathe "
            "d'ici là.",
        ),
        (
            "member",
            "Les photos de la cérémonie sont dans la photothèque. Vérifiez les "
            "autorisations de droit à l'image avant toute diffusion.",
        ),
    ],
    "etat-civil": [
        (
            "head",
            "Samedi : trois mariages. Il nous faut un officier d'état civil en "
            "renfort l'après-midi, qui est disponible ?",
        ),
        (
            "member",
            "Le nouveau formulaire de recensement citoyen est en ligne ; les "
            "anciens exemplaires papier sont à détruire.",
        ),
    ],
    "culture-et-animation": [
        (
            "member",
            "Installation de l'exposition photo mercredi : on cherche des bras pour "
            "accrocher les cadres.",
        ),
        (
            "head",
            "Bilan de l'heure du conte : 45 enfants samedi, record battu ! Merci à "
            "toute l'équipe.",
        ),
    ],
    "espaces-verts": [
        (
            "head",
            "Planning de tonte de la semaine : lundi parc de la Loire, mardi "
            "cimetière, mercredi et jeudi stades.",
        ),
        (
            GARDENER,
            "Les bulbes sont arrivés aux serres : plantation des massifs de la "
            "place de la République à partir de jeudi.",
        ),
    ],
    "services-techniques": [
        (
            "head",
            "Rappel sécurité : chaussures, gants et gilet obligatoires sur tous les "
            "chantiers, sans exception.",
        ),
        (
            "member",
            "Chantier rue des Artisans : circulation alternée jusqu'à vendredi, "
            "les panneaux sont au dépôt.",
        ),
        (
            "member",
            "Astreinte du week-end : l'équipe 2 est de garde, numéro habituel.",
        ),
    ],
    "police-municipale": [
        (
            "head",
            "Briefing lundi 7 h 45 : sécurité du marché et des sorties d'école.",
        ),
        (
            "member",
            "Le nouveau planning des patrouilles du soir est affiché au poste.",
        ),
    ],
}

PROJECT_POSTS = [
    PostSpec(
        "fete-du-personnel",
        OWNER,
        "C'est parti pour la fête du personnel ! Premières idées : pique-nique "
        "géant au parc de la Loire, concours de pétanque inter-services et blind "
        "test. Qu'est-ce qui vous tente ?",
        "work",
    ),
    PostSpec(
        "fete-du-personnel",
        OWNER,
        "Réunion d'organisation jeudi à 12 h 30, salle 3. Ordre du jour : budget, "
        "lieu, animations.",
        "work",
    ),
    PostSpec(
        "fete-du-personnel",
        COMMUNICATOR,
        "Trois projets d'affiche sont dans le dossier partagé : votez en "
        "commentaire pour la 1, la 2 ou la 3 !",
        "work",
    ),
    PostSpec(
        "fete-du-personnel",
        MEMBER,
        "Je peux m'occuper de la sono : la médiathèque nous prête son matériel.",
        "work",
    ),
    PostSpec(
        "comite-de-direction",
        OWNER,
        """Ordre du jour du comité de lundi :

1. préparation budgétaire ;
2. plan de formation ;
3. réorganisation de l'accueil de l'hôtel de ville.""",
        "work",
    ),
    PostSpec(
        "comite-de-direction",
        ADMIN,
        "Le compte rendu du dernier comité est dans le dossier confidentiel. Merci "
        "de ne pas le diffuser avant sa présentation aux agents.",
        "work",
    ),
    PostSpec(
        "comite-de-direction",
        MEMBER,
        "Point confidentiel : deux départs à la retraite à anticiper dans le "
        "budget de l'an prochain.",
        "work",
    ),
]

# Comments, by the tone of the post they answer.
COMMENTS = {
    "announcement": [
        "Merci pour l'info !",
        "C'est noté 👍",
        "Très clair, merci.",
        "Est-ce que ça concerne aussi les agents du centre technique ?",
        "Je relaie à mon équipe.",
        "Merci, c'est bien d'avoir tout au même endroit.",
    ],
    "event": [
        "J'y serai !",
        "Super initiative 👏",
        "On peut venir avec les enfants ?",
        "Je m'inscris pour aider à l'accueil.",
        "Génial, merci pour l'info !",
    ],
    "practice": [
        "Bon rappel, merci.",
        "Je ne connaissais pas l'astuce, merci !",
        "On pourrait avoir une petite formation là-dessus ?",
        "Appliqué tout de suite 👍",
    ],
    "letter": [
        "Merci pour cette lettre, toujours un plaisir à lire.",
        "Bravo à toutes les équipes !",
        "Merci d'avoir parlé de notre service 😊",
        "Quelle belle année pour les espaces verts !",
    ],
    "recipe": [
        "Testée ce week-end : un délice !",
        "Merci pour la recette, je la fais dimanche.",
        "On peut remplacer le beurre par de l'huile ?",
        "Ça donne faim 😋",
        "Ma grand-mère ajoutait une pincée de cannelle.",
    ],
    "social": [
        "Haha 😄",
        "Je passe tout à l'heure !",
        "Compte sur moi !",
        "Merci !",
        "Café, évidemment ☕",
        "Thé, sans hésiter.",
        "Intéressé·e, je t'écris en privé.",
    ],
    "work": [
        "Bien noté.",
        "Merci, je transmets à l'équipe.",
        "Je peux aider si besoin.",
        "OK pour moi.",
        "Ça marche, merci pour le rappel.",
    ],
}

REPLIES = [
    "Merci !",
    "Tout à fait d'accord.",
    "Oui, tout le monde est concerné.",
    "Bonne question, je me renseigne et je reviens vers vous.",
    "Pareil !",
    "😄",
    "Bonne idée.",
]

RIDDLE_GUESS = "{answer} ?"
RIDDLE_RIGHT = "Bravo, c'est bien {answer} ! 🌟"

# Which reactions a post of each tone draws, weighted.
REACTIONS = {
    "announcement": {ReactionKind.LIKE: 6, ReactionKind.INSIGHTFUL: 3},
    "event": {ReactionKind.LIKE: 5, ReactionKind.LOVE: 3, ReactionKind.BRAVO: 2},
    "practice": {ReactionKind.INSIGHTFUL: 5, ReactionKind.LIKE: 4},
    "letter": {ReactionKind.LIKE: 5, ReactionKind.BRAVO: 3, ReactionKind.LOVE: 2},
    "recipe": {ReactionKind.LOVE: 5, ReactionKind.LIKE: 4, ReactionKind.BRAVO: 1},
    "riddle": {ReactionKind.FUNNY: 3, ReactionKind.LOVE: 3, ReactionKind.LIKE: 4},
    "social": {ReactionKind.LIKE: 5, ReactionKind.FUNNY: 4, ReactionKind.LOVE: 1},
    "work": {ReactionKind.LIKE: 7, ReactionKind.BRAVO: 2, ReactionKind.INSIGHTFUL: 1},
}


# --- Polls and quizzes (issue 5) -------------------------------------------------

# The question of the quiz added to each of the last QUIZ_DAYS riddles of
# "Un jour, une fleur": the riddle's answer among QUIZ_OPTIONS - 1 other flowers.
QUIZ_QUESTION = "Quelle est la fleur du jour ?"
QUIZ_DAYS = 7
QUIZ_OPTIONS = 4


@dataclass(frozen=True)
class PollPostSpec:
    """A post with a poll; `group` is a slug, or None for the whole organisation;
    `author` a username or a role of the group (OWNER, ADMIN)."""

    group: str | None
    author: str
    body: str
    question: str
    options: tuple[str, ...]
    is_multiple_choice: bool = False
    is_anonymous: bool = False
    hide_results_until_closed: bool = False
    # Days from now until it closes; negative: it closed that many days ago.
    closes_in_days: int | None = None


POLL_POSTS = [
    PollPostSpec(
        None,
        COMMUNICATOR,
        "La fête du personnel revient en juin ! Aidez-nous à choisir la date : "
        "plusieurs réponses possibles.",
        "Quel jour pour la fête du personnel ?",
        ("Vendredi 20 juin au soir", "Samedi 21 juin midi", "Vendredi 27 juin"),
        is_multiple_choice=True,
        closes_in_days=10,
    ),
    PollPostSpec(
        "la-machine-a-cafe",
        OWNER,
        "Sondage anonyme, soyez honnêtes : la nouvelle machine à café, vous en "
        "pensez quoi ?",
        "Le café de la nouvelle machine est…",
        ("Excellent", "Buvable", "Un crime contre l'Italie"),
        is_anonymous=True,
    ),
    PollPostSpec(
        "la-mairie-dans-la-marmite",
        OWNER,
        "Pour le concours de desserts, on garde les résultats secrets jusqu'à "
        "la fin du vote.",
        "Quel dessert pour le concours de la rentrée ?",
        ("Tarte tatin", "Far breton", "Clafoutis", "Fondant au chocolat"),
        hide_results_until_closed=True,
        closes_in_days=-2,
    ),
]


# --- Chat (issue 7) ---------------------------------------------------------------


@dataclass(frozen=True)
class ConversationSpec:
    """A conversation: DIRECT when it has no title and one other person.

    `messages` are (speaker, body), a few minutes apart from 9 a.m. `days_ago`
    days ago. Everyone has read it all but the people in `unread`, whose receipt
    stays on their own latest message.
    """

    creator: str
    others: tuple[str, ...]
    messages: tuple[tuple[str, str], ...]
    days_ago: int
    title: str = ""
    unread: tuple[str, ...] = ()


HEAD_GARDENS = "head:espaces-verts"
HEAD_WORKS = "head:services-techniques"
HEAD_POLICE = "head:police-municipale"
HEAD_CULTURE = "head:culture-et-animation"
HEAD_HR = "head:ressources-humaines"

CONVERSATIONS = [
    ConversationSpec(
        creator=HEAD_GARDENS,
        others=(GARDENER,),
        days_ago=3,
        messages=(
            (
                HEAD_GARDENS,
                "Grégoire, tu peux passer au square Jean-Moulin ? Un arbre est "
                "tombé sur le grillage.",
            ),
            (GARDENER, "J'y suis dans 20 minutes, je prends la tronçonneuse."),
            (
                GARDENER,
                "C'est un tilleul, le grillage est plié sur 3 mètres. Personne "
                "de blessé.",
            ),
            (
                HEAD_GARDENS,
                "Merci ! Je préviens les services techniques pour le grillage.",
            ),
            (GARDENER, "Zone balisée 👍"),
        ),
    ),
    ConversationSpec(
        creator=HEAD_WORKS,
        others=("agent:services-techniques", HEAD_POLICE, ORG_ADMIN),
        title="Astreinte du week-end",
        days_ago=2,
        messages=(
            (
                HEAD_WORKS,
                "Planning de l'astreinte : **samedi** l'équipe voirie, "
                "**dimanche** moi-même. Numéro habituel.",
            ),
            (
                HEAD_POLICE,
                "Noté. On vous appelle en cas de fuite sur la chaussée comme la "
                "dernière fois.",
            ),
            ("agent:services-techniques", "Je garde le camion benne samedi soir."),
            (
                ORG_ADMIN,
                "Merci à vous. Pensez à noter les interventions dans le registre "
                "lundi.",
            ),
        ),
    ),
    ConversationSpec(
        creator=COMMUNICATOR,
        others=(ORG_ADMIN, HEAD_CULTURE, HEAD_HR),
        title="Lettre interne du mois",
        days_ago=1,
        unread=(ORG_ADMIN,),
        messages=(
            (
                COMMUNICATOR,
                "Bonjour à tous ! Je boucle la lettre interne vendredi, il me "
                "manque vos sujets 🙂",
            ),
            (
                HEAD_CULTURE,
                "Pour nous : le programme de la fête de la musique et l'appel aux "
                "bénévoles.",
            ),
            (
                HEAD_HR,
                "Les nouveaux arrivants du mois et un rappel sur les entretiens "
                "annuels.",
            ),
            (COMMUNICATOR, "Parfait. Des photos pour la fête de la musique ?"),
            (HEAD_CULTURE, "Je t'envoie ça cet après-midi."),
        ),
    ),
    ConversationSpec(
        creator=COMMUNICATOR,
        others=(ORG_ADMIN,),
        days_ago=0,
        unread=(ORG_ADMIN,),
        messages=(
            (
                COMMUNICATOR,
                "Camille, tu peux relire l'annonce de Parvis avant publication ?",
            ),
            (ORG_ADMIN, "Oui, envoie-la-moi. On la publie lundi à 9 h ?"),
            (COMMUNICATOR, "Top, lundi 9 h. Merci !"),
        ),
    ),
    ConversationSpec(
        creator=COMMUNICATOR,
        others=(GARDENER,),
        days_ago=0,
        messages=(
            (
                COMMUNICATOR,
                "Bonjour Grégoire ! Tu aurais une photo des massifs de tulipes "
                "pour la lettre interne ?",
            ),
            (GARDENER, "Je t'en fais une demain matin, la lumière est meilleure."),
        ),
    ),
]
