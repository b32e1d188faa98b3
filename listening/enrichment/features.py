"""Features of a post for the understanding model, shared by training and inference.

One function, :func:`features`, turns a post into a sparse ``{feature: value}`` map; the
training script (``python -m listening.enrichment.train``) fits on exactly these maps and the
runtime (:mod:`listening.enrichment.understanding`) scores them, so the two can never drift.

The features are:

* word unigrams and bigrams of the normalised text (lower case, accents folded, links,
  handles and digits replaced by placeholders, emoji and "?" / "!" kept as tokens);
* character 3- and 4-grams inside words, which carry the model across inflections, typos and
  the eight languages ("bloqueada", "blocked", "bloquée");
* cues from a small multilingual bank lexicon (fraud, outage, closing, gratitude, money
  taken, waiting, negation of "authorise", money or access the customer disowns, praise said
  by denying a problem, plainly bad and plainly good words, grievances about the bank's own
  doing and thanks said beside them, a card to be stopped, others hit by the same outage,
  laughter, something put right, the bank acting without a reason), written from the domain and
  checked by cross-validation on the training split only;
* the VADER compound score of the post with bank words added to VADER's lexicon (see
  :mod:`listening.enrichment.sentiment`), and the spam rules' verdict.

Pure Python, no numpy: scoring a post costs a few hundred dictionary look-ups.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from typing import Final

__all__ = ["CUES", "features", "normalise"]

_LINK_RE: Final = re.compile(r"https?://\S+|www\.\S+|t\.me/\S+")
_HANDLE_RE: Final = re.compile(r"@\w+")
_DIGITS_RE: Final = re.compile(r"\d+(?:[.,]\d+)*")
_TOKEN_RE: Final = re.compile(r"\w+|[?!¿€£$]|[^\w\s]", re.UNICODE)
# Letters of a word for the character n-grams (no digits or placeholders).
_WORD_RE: Final = re.compile(r"[^\W\d_]{2,}")


# A cue is one feature among a few hundred n-grams; after the length normalisation a plain 1.0
# would drown. 3 was chosen by grouped cross-validation on the training split (3, 6 and 10
# tried on the 994 messages; docs/understanding.md).
CUE_WEIGHT = 3.0


def _cue(pattern: str) -> re.Pattern[str]:
    # Posts are matched accent-folded (see normalise), so the patterns are folded the same way:
    # "störung" must match "storung".
    decomposed = unicodedata.normalize("NFKD", pattern)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.compile(rf"(?<!\w)(?:{folded})", re.IGNORECASE)


# Matched on the accent-folded, lower-cased text. Stems, so inflections match too.
CUES: Final[dict[str, re.Pattern[str]]] = {
    "fraud": _cue(
        r"fraud|scam|phishing|hack|stolen|stole|clon|not authori[sz]|didn.?t authori[sz]|"
        r"never (?:made|authori)|don.?t recogni|do not recogni|didn.?t make|unauthori[sz]|"
        r"fraude|arnaque|escroq|pirat|vol[eé]|betrug|betrüg|gehackt|gestohlen|nicht autorisiert|"
        r"estafa|robad|hackead|no (?:he )?autorizad|no reconozco|truff|rubat|hackerat|"
        r"non (?:ho )?autorizz|non riconosco|oplicht|gestolen|gehackt|niet herken|"
        r"oszust|ukradl|kradzie|włama|wlama|nie autoryz|nie robił|nie zrobił|"
        r"burl|roubad|pirate|nao reconhe|não reconhe|nao autoriz|não autoriz|falso|fałszyw|nep|finto|faux|"
        r"geklaut|in my name|en mon nom|auf meinen namen|a mi nombre|a mio nome|op mijn naam|"
        r"na moje (?:nazwisko|dane)|em meu nome|em nome|never applied|jamais (?:souscrit|demande)|"
        r"nie beantragt|nunca (?:he )?solicit|mai (?:richiesto|sottoscritto)|nooit aangevraagd|"
        r"nigdy nie (?:skladal|bral)|vanished|disparu|verschwunden|desaparecid|sparit|verdwenen|"
        r"zniknal|desapareceu"
    ),
    "outage": _cue(
        r"down|outage|not working|crash|error|unavailable|can.?t log ?in|cannot log ?in|"
        r"panne|plant|erreur|indisponible|ne marche|störung|stoerung|absturz|stürzt|sturzt|"
        r"nicht erreichbar|nicht verfügbar|fehler|caíd|caid|no funciona|no va|error|no disponible|"
        r"non funziona|disservizio|guasto|non disponibile|irraggiungibil|storing|ligt eruit|"
        r"werkt niet|doet het niet|niet beschikbaar|awari|nie działa|nie dziala|niedostępn|"
        r"em baixo|avaria|não funciona|nao funciona|indisponível|indisponivel"
    ),
    "close": _cue(
        r"close my|closing my|close (?:the|my|everything)|switch(?:ing)? to|move my isa|"
        r"clôtur|clotur|résilier|resilier|fermer mon|chez une autre|kündig|kundig|auflös|auflos|"
        r"wechsle|cancelar mi|dar de baja|doy de baja|cambio de banco|chiuder|disdic|"
        r"un'altra banca|opzeg|opheff|overstap|stap over|zamkn|zrezygn|innego banku|"
        r"encerr|mudar de banco|cancel[oa] o"
    ),
    "thanks": _cue(
        r"thank|thanks|cheers|brilliant|legend|merci|bravo|danke|dank|gracias|grazie|"
        r"complimenti|bedankt|dziękuj|dziekuj|dzięki|dzieki|obrigad|parabéns|parabens|"
        r"top|super|excellent|impecc|rewelac|świetn|swietn|maravill|ottim"
    ),
    "sarcasm": _cue(
        r"thanks? for nothing|merci pour rien|danke für nichts|gracias por nada|grazie di niente|"
        r"bedankt voor niks|dzięki za nic|obrigad[oa] por nada|🙄|🙃|🤡|love it\.|brilliant 🙃"
    ),
    "money_taken": _cue(
        r"charged (?:me )?twice|double charged|taken from|took .{0,20}from|"
        r"deux fois|doppelt|dos veces|due volte|addebito doppio|twee keer|dwa razy|duas vezes"
    ),
    "waiting": _cue(
        r"still (?:no|not|waiting)|waiting|weeks|nobody|no one|"
        r"attends|toujours rien|personne|warte|niemand|esperando|nadie|aspetto|nessuno|"
        r"wachten|niemand|czekam|nikt|espera|ninguém|ninguem"
    ),
    "question": _cue(
        r"how|what|why|when|where|which|can i|could you|is there|do you|does|"
        r"comment|combien|pourquoi|quand|quel|quelle|est-ce|wie|was|warum|wann|welche|kann ich|"
        r"como|cómo|cuanto|cuánto|que|qué|cual|puedo|quanto|perche|perché|quando|posso|"
        r"hoe|wat|waarom|wanneer|welke|kan ik|jak|ile|dlaczego|czy|kiedy|jaki|quanto|porque|qual"
    ),
    # Money or access the customer says was not theirs, often asked as a question ("who is
    # X? never heard of them", "wasn't me").
    "not_mine": _cue(
        r"never heard of|wasn.?t me|not me\b|never (?:set up|signed up|ordered|asked for|did)|"
        r"i didn.?t (?:do|set|sign|order|ask)|didn.?t ask for|don.?t know (?:who|what)|"
        r"pas moi|jamais (?:fait|cre|demand|command)|connais pas|pas inscrit|"
        r"nicht ich|nie (?:gehort|eingerichtet|bestellt|angefordert|gemacht)|kenne ich nicht|"
        r"no he sido yo|nunca (?:he|lo|la|me)|no me suena|no he pedido|"
        r"non sono stat|mai (?:fatto|impostato|sentit|richiest)|non ho chiesto|"
        r"was ik niet|nooit (?:gedaan|aangemaakt|aangevraagd|besteld)|niet aangevraagd|"
        r"to nie ja|nigdy (?:nie|o nich)|nie prosił|nie robił|"
        r"nao fui eu|nunca (?:pedi|fiz|criei|ouvi)|nao pedi"
    ),
    # Praise said by denying a problem ("no complaints", "can't fault", "not bad at all").
    "no_problem": _cue(
        r"no (?:complaints?|problems?|issues?)|not bad|can.?t fault|nothing to complain|"
        r"aucun (?:souci|probl)|pas mal|rien a redire|rien a dire|"
        r"keine(?:rlei)? (?:probleme|beschwerden)|nicht schlecht|nichts auszusetzen|"
        r"ningun problema|ninguna queja|nada mal|nada que reprochar|"
        r"nessun (?:problema|reclamo)|niente male|niente da dire|"
        r"geen (?:enkel )?(?:probleem|klachten)|niet slecht|niks op aan te merken|"
        r"zero problemow|bez (?:problemow|zarzutu)|niezle|nie mam sie do czego|"
        r"nenhum problema|nada mal|nada a apontar|sem problemas"
    ),
    # Plainly bad or plainly good words in the eight languages, for sentiment where VADER
    # (English only) has no opinion.
    "bad_words": _cue(
        r"ridicul|unacceptable|disgrace|useless|joke|shocking|appalling|awful|terrible|worst|unreal|"
        r"inadmissible|honte|scandal|nul\b|inacceptable|pas normal|n.?importe quoi|"
        r"unverschamt|frechheit|lacherlich|katastroph|unmoglich|skandal|unfassbar|"
        r"vergonzoso|verguenza|inaceptable|desastre|"
        r"vergogn|inaccettabil|schifo|pessim|assurd|"
        r"schandalig|belachelijk|waardeloos|bizar|onacceptabel|"
        r"zenada|skandal|porazka|dramat|beznadziej|kpina|szok|"
        r"vergonha|inaceitavel|palhacada|ridiculo|pessimo"
    ),
    "good_words": _cue(
        r"great service|amazing|excellent|impressed|fantastic|helpful|quick|smooth|easy|well done|"
        r"rapide|efficace|parfait|genial|bravo|au top|"
        r"schnell|hilfsbereit|klasse|perfekt|lob|respekt|"
        r"rapido|rapida|facil|perfecto|estupendo|enhorabuena|"
        r"velocissim|perfett|gentilissim|complimenti|"
        r"snel|vriendelijk|prima|geweldig|petje af|complimenten|"
        r"szybko|sprawnie|brawo|szacun|polecam|"
        r"rapidez|eficien|perfeito|impecavel|parabens"
    ),
    # A grievance about what the bank did: fees, the same thing again, "seriously?", praise
    # taken back ("not impressed", "not ok"). Complaints, told apart from fraud and from thanks.
    "fee": _cue(
        r"fees?\b|charges?\b|charging|interest|overdra|frais|commission|agios|decouvert|"
        r"gebuhr|zinsen|dispo|comision|intereses|descubierto|spese|interessi|"
        r"scoperto|kosten|rente|roodstand|opłat|oplat|prowizj|debet|taxa|comiss|juros|descoberto"
    ),
    "again": _cue(
        r"again|third time|(?:2nd|3rd|second|third) time|once more|encore|schon wieder|"
        r"zum (?:zweiten|dritten)|wieder|otra vez|de nuevo|ancora|di nuovo|opnieuw|alweer|"
        r"weer|znowu|kolejny raz|po raz|de novo|outra vez|mais uma vez"
    ),
    "seriously": _cue(
        r"seriously|are you (?:kidding|serious)|you.?re joking|serieux|c.?est une blague|"
        r"ernsthaft|im ernst|soll das|en serio|es broma|sul serio|scherz|serieus|meen je dat|"
        r"na serio|serio\?|zartujecie|a serio|a sério|estao a brincar|é piada|e piada"
    ),
    "not_good": _cue(
        r"not (?:impressed|ok|okay|acceptable|good enough|happy)|unhappy|disappointed|fed up|"
        r"pas (?:top|terrible|normal|acceptable|content)|decu|marre|"
        r"nicht (?:ok|in ordnung|zufrieden)|geht gar nicht|enttauscht|reicht|"
        r"no es normal|no es aceptable|decepcionad|harto|"
        r"non (?:va bene|e normale|e accettabile)|delus|stufo|"
        r"niet (?:ok|normaal|acceptabel|tevreden)|teleurgesteld|zat van|"
        r"nie w porzadku|niezadowol|rozczarowan|mam dosc|"
        r"nao (?:esta certo|e normal|e aceitavel)|desiludid|farto"
    ),
    # The customer asks for the card to be stopped (not "you blocked my card").
    "block_card": _cue(
        r"block (?:it|the card|my card)|freeze (?:it|the card|my card)|cancel (?:it|the card) now|"
        r"bloquez|bloquer (?:la|ma) carte|sperrt|sperren sie|bitte sperren|sofort sperren|"
        r"bloquead|bloqueen|bloquear la tarjeta|bloccate|bloccare la carta|blokkeer|blokkeren|"
        r"zablokujcie|zablokuj|zastrzez|bloqueiem|bloqueie|bloquear o cartao"
    ),
    # The bank's own doing: a grievance, not a third party's fraud.
    "bank_fault": _cue(
        r"your (?:fault|error|mistake|system|side)|you(?:'ve| have)? (?:blocked|charged|sent|lost|cut)|"
        r"votre (?:erreur|faute|systeme)|vous avez (?:bloque|preleve|envoye|perdu)|"
        r"(?:euer|eure) (?:fehler|schuld|system)|ihr habt|"
        r"vuestr[oa] (?:error|culpa|sistema)|me habeis|"
        r"(?:vostro|vostra) (?:errore|colpa|sistema)|colpa vostra|mi avete|"
        r"jullie (?:fout|schuld|systeem|hebben)|"
        r"(?:wasz|wasza) (?:blad|wina|system)|zablokowaliscie|pobraliscie|"
        r"(?:vosso|vossa) (?:erro|culpa|sistema)|bloquearam|cobraram|"
        r"you (?:moved|put|switched|signed|gave) me|vous m.?avez|sie haben mir|ihr habt mir|"
        r"me habeis|mi avete|jullie hebben me|przenies?li?scie mnie|passaram-me|puseram-me"
    ),
    # The bank acted without a reason given: a grievance about its doing, not a third party's.
    "no_reason": _cue(
        r"without (?:any )?(?:reason|explanation|warning|notice)|no (?:reason|explanation) given|"
        r"sans (?:raison|explication|prevenir|preavis)|ohne (?:grund|erklarung|vorwarnung|ankundigung)|"
        r"sin (?:motivo|razon|explicacion|avisar|aviso)|senza (?:motivo|spiegazion|preavviso|avvisare)|"
        r"zonder (?:reden|uitleg|waarschuwing|aankondiging)|bez (?:powodu|wyjasnien|uprzedzenia|ostrzezenia)|"
        r"sem (?:motivo|explicacao|aviso|avisar)"
    ),
    # Others hit by the same thing: an outage asked about ("anyone else?", "for everyone?").
    "others_too": _cue(
        r"anyone else|everyone|is it just me|just me\b|glitch|incident|maintenance|"
        r"quelqu.?un d.?autre|d.?autres ont|tout le monde|juste moi|que moi|maintenance|"
        r"noch jemand|nur bei mir|bei allen|auch bei euch|wartung|"
        r"alguien mas|a alguien mas|para todos|solo a mi|solo yo|mantenimiento|"
        r"qualcun altro|anche a voi|per tutti|solo a me|manutenzione|"
        r"iemand anders|iemand nog|bij iedereen|alleen bij mij|onderhoud|"
        r"ktos jeszcze|u wszystkich|tylko u mnie|prace serwisowe|"
        r"mais alguem|toda a gente|so a mim|so eu|manutencao"
    ),
    # Chatter among people rather than to the bank: laughter.
    "laugh": _cue(r"lol|lmao|mdr|haha|hihi|jaja|ahah|xd\b|kkk|😂|🤣"),
    # Something the bank put right: praise, not a grievance, even when it names a fee or a fraud.
    "put_right": _cue(
        r"sorted|resolved|refunded (?:the same|within|in)|money back (?:within|in|the)|credit where|"
        r"regle|rembourse(?:s|e)? (?:le jour|en|dans)|erledigt|erstattet|geklart|"
        r"resuelto|solucionado|devuelto (?:en|el mismo)|risolto|rimborsat[oi] (?:in|lo stesso)|"
        r"opgelost|teruggestort|zalatwion|rozwiazan|zwrocon[oey] (?:w|tego)|resolvid|devolvid[oa] (?:em|no)"
    ),
    "spam_bait": _cue(
        r"giveaway|earn|follow for|bitcoin|crypto|gagnez|verdien|gana |guadagna|zarabiaj|ganhe|"
        r"gratis|gratuit|grátis|darmow|sorteo|concours|gewinnspiel|winactie|konkurs|passatempo|concorso"
    ),
}


# The cues as they are written, matched as is: the text they see is case-folded already, and a
# case-insensitive match costs Python's regex engine about three times as much. Used for a text
# that is all lower case and holds none of the letters that match another case-insensitively
# (dotless i and long s, the Greek and Cyrillic variants of re's extra case table); any other
# text is matched with CUES, so both find exactly the same.
_CUES_AS_IS: Final[dict[str, re.Pattern[str]]] = {name: re.compile(p.pattern) for name, p in CUES.items()}
_CASE_EXTRAS: Final = re.compile(
    r"[\u00b5\u0131\u017f\u0345\u0370-\u04ff\u1c80-\u1c88\u1e61\u1e9b\u1f00-\u1fff\ua640-\ua69f\ufb00-\ufb06]"
)


def _cues_for(norm: str) -> dict[str, re.Pattern[str]]:
    return _CUES_AS_IS if norm == norm.lower() and not _CASE_EXTRAS.search(norm) else CUES


# Cues that, beside a word of thanks, make it sarcasm ("Cheers for that 👍" after a fee).
_GRIEVANCES: Final = ("sarcasm", "bad_words", "money_taken", "waiting", "fee", "again", "not_good")


def _fold(text: str) -> str:
    """Lower case with accents removed (keeps letters such as Polish "ł" that do not decompose)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(text: str) -> str:
    """Placeholders for links, handles and numbers; lower case; accents folded."""
    text = _LINK_RE.sub(" httplink ", text or "")
    text = _HANDLE_RE.sub(" @user ", text)
    text = _DIGITS_RE.sub(" 0 ", text)
    return _fold(text)


def features(text: str, *, vader: float = 0.0, spam: bool = False) -> dict[str, float]:
    """The sparse features of one post (see the module docstring)."""
    norm = normalise(text)
    tokens = _TOKEN_RE.findall(norm)
    feats: dict[str, float] = dict.fromkeys((f"w:{tok}" for tok in tokens), 1.0)
    feats.update(dict.fromkeys((f"b:{a} {b}" for a, b in itertools.pairwise(tokens)), 1.0))
    for word in _WORD_RE.findall(norm):
        padded = f" {word} "
        feats.update(dict.fromkeys((padded[i : i + 3] for i in range(len(padded) - 2)), 1.0))
        feats.update(dict.fromkeys((padded[i : i + 4] for i in range(len(padded) - 3)), 1.0))
    for name, pattern in _cues_for(norm).items():
        if pattern.search(norm):
            feats[f"cue:{name}"] = CUE_WEIGHT
    if "cue:thanks" in feats and (vader < -0.05 or any(f"cue:{name}" in feats for name in _GRIEVANCES)):
        feats["cue:thanks_but"] = CUE_WEIGHT
    if "?" in norm:
        feats["cue:question_mark"] = CUE_WEIGHT
    if vader:
        feats["vader"] = vader
        feats["vader:neg" if vader < -0.05 else "vader:pos" if vader > 0.05 else "vader:flat"] = 1.0
    if spam:
        feats["spam_rule"] = 1.0
    return feats
