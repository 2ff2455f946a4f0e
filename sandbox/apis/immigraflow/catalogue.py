"""A USCIS-like status catalogue (en/es/pt) and the forms cases are filed on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

LANGUAGES = ("en", "es", "pt")

_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
    "pt": (
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ),
}


def long_date(moment: datetime, lang: str) -> str:
    """``March 3, 2026`` / ``3 de marzo de 2026`` / ``3 de março de 2026``."""
    month = _MONTHS[lang][moment.month - 1]
    return f"{month} {moment.day}, {moment.year}" if lang == "en" else f"{moment.day} de {month} de {moment.year}"


@dataclass(frozen=True, slots=True)
class Form:
    """A USCIS form: its code (``I-485``) and its title in en/es/pt."""

    code: str
    title_en: str
    title_es: str
    title_pt: str

    def title(self, lang: str) -> str:
        """The form's title in ``lang`` (``en``, ``es`` or ``pt``)."""
        return {"en": self.title_en, "es": self.title_es, "pt": self.title_pt}[lang]


@dataclass(frozen=True, slots=True)
class Status:
    """One status: its key, titles and description templates.

    Templates take ``{date}`` (rendered in the language), ``{form}`` (``I-485``), ``{title}`` (the
    form's title in the language) and ``{receipt}``. ``terminal`` statuses end every journey they are in.
    """

    key: str
    code_en: str
    code_es: str
    code_pt: str
    text_en: str
    text_es: str
    text_pt: str
    detail_en: str | None = None
    terminal: bool = False

    def code(self, lang: str) -> str:
        """The status title in ``lang``: ``Case Was Received`` / ``Caso Fue Recibido`` / ``Caso Foi Recebido``."""
        return {"en": self.code_en, "es": self.code_es, "pt": self.code_pt}[lang]

    def description(self, lang: str, *, date: datetime, form: Form | str, receipt: str) -> str:
        """The USCIS-style description in ``lang`` for a form (or form code), a date and a receipt number."""
        if isinstance(form, str):
            form = get_form(form)
        template = {"en": self.text_en, "es": self.text_es, "pt": self.text_pt}[lang]
        return template.format(date=long_date(date, lang), form=form.code, title=form.title(lang), receipt=receipt)


_FORMS = (
    Form(
        "I-485",
        "Application to Register Permanent Residence or Adjust Status",
        "Solicitud de Registro de Residencia Permanente o Ajuste de Estatus",
        "Pedido de Registro de Residência Permanente ou Ajuste de Status",
    ),
    Form(
        "I-130",
        "Petition for Alien Relative",
        "Petición de Familiar Extranjero",
        "Petição para Parente Estrangeiro",
    ),
    Form(
        "I-765",
        "Application for Employment Authorization",
        "Solicitud de Autorización de Empleo",
        "Pedido de Autorização de Trabalho",
    ),
    Form(
        "I-131",
        "Application for Travel Document",
        "Solicitud de Documento de Viaje",
        "Pedido de Documento de Viagem",
    ),
    Form(
        "I-129",
        "Petition for a Nonimmigrant Worker",
        "Petición de Trabajador No Inmigrante",
        "Petição para Trabalhador Não Imigrante",
    ),
    Form(
        "I-140",
        "Immigrant Petition for Alien Workers",
        "Petición de Inmigrante para Trabajador Extranjero",
        "Petição de Imigrante para Trabalhador Estrangeiro",
    ),
    Form(
        "I-539",
        "Application to Extend/Change Nonimmigrant Status",
        "Solicitud para Extender/Cambiar Estatus de No Inmigrante",
        "Pedido de Extensão/Mudança de Status de Não Imigrante",
    ),
    Form(
        "I-751",
        "Petition to Remove Conditions on Residence",
        "Petición para Eliminar Condiciones de Residencia",
        "Petição para Remover Condições de Residência",
    ),
    Form(
        "I-90",
        "Application to Replace Permanent Resident Card",
        "Solicitud para Reemplazar la Tarjeta de Residente Permanente",
        "Pedido de Substituição do Cartão de Residente Permanente",
    ),
    Form("N-400", "Application for Naturalization", "Solicitud de Naturalización", "Pedido de Naturalização"),
)
FORMS: Mapping[str, Form] = MappingProxyType({form.code: form for form in _FORMS})


def _s(
    key: str,
    en: str,
    es: str,
    pt: str,
    text_en: str,
    text_es: str,
    text_pt: str,
    *,
    detail: str | None = None,
    terminal: bool = False,
) -> Status:
    return Status(key, en, es, pt, text_en, text_es, text_pt, detail, terminal)


_STATUSES = (
    _s(
        "case_received",
        "Case Was Received",
        "Caso Fue Recibido",
        "Caso Foi Recebido",
        "On {date}, we received your Form {form}, {title}, Receipt Number {receipt}, and sent you the receipt notice. "
        "We will send you a written decision or notice if we need something from you.",
        "El {date}, recibimos su Formulario {form}, {title}, Número de Recibo {receipt}, y le enviamos el aviso de "
        "recibo. Le enviaremos una decisión por escrito o un aviso si necesitamos algo de usted.",
        "Em {date}, recebemos seu Formulário {form}, {title}, Número de Recibo {receipt}, e enviamos o aviso de "
        "recebimento. Enviaremos uma decisão por escrito ou um aviso se precisarmos de algo de você.",
    ),
    _s(
        "fingerprint_fee_received",
        "Fingerprint Fee Was Received",
        "Se Recibió el Pago de Huellas Digitales",
        "Taxa de Impressões Digitais Foi Recebida",
        "On {date}, we received your biometrics fee for your Form {form}, Receipt Number {receipt}.",
        "El {date}, recibimos el pago de datos biométricos de su Formulario {form}, Número de Recibo {receipt}.",
        "Em {date}, recebemos a taxa de biometria do seu Formulário {form}, Número de Recibo {receipt}.",
    ),
    _s(
        "biometrics_scheduled",
        "Biometrics Appointment Was Scheduled",
        "Se Programó la Cita de Datos Biométricos",
        "Agendamento de Biometria Foi Marcado",
        "On {date}, we scheduled your biometrics appointment for your Form {form}, Receipt Number {receipt}. "
        "We mailed you an appointment notice.",
        "El {date}, programamos su cita de datos biométricos para su Formulario {form}, Número de Recibo {receipt}. "
        "Le enviamos un aviso de cita por correo.",
        "Em {date}, agendamos sua coleta de biometria para o seu Formulário {form}, Número de Recibo {receipt}. "
        "Enviamos um aviso de agendamento pelo correio.",
        detail="Bring the appointment notice and a photo identification.",
    ),
    _s(
        "fingerprints_taken",
        "Fingerprints Were Taken",
        "Se Tomaron las Huellas Digitales",
        "Impressões Digitais Foram Coletadas",
        "On {date}, we took your fingerprints for your Form {form}, Receipt Number {receipt}.",
        "El {date}, tomamos sus huellas digitales para su Formulario {form}, Número de Recibo {receipt}.",
        "Em {date}, coletamos suas impressões digitais para o seu Formulário {form}, Número de Recibo {receipt}.",
    ),
    _s(
        "actively_reviewed",
        "Case Is Being Actively Reviewed",
        "Caso Está Siendo Revisado Activamente",
        "Caso Está Sendo Analisado Ativamente",
        "As of {date}, we are actively reviewing your Form {form}, Receipt Number {receipt}.",
        "A partir del {date}, estamos revisando activamente su Formulario {form}, Número de Recibo {receipt}.",
        "Desde {date}, estamos analisando ativamente o seu Formulário {form}, Número de Recibo {receipt}.",
    ),
    _s(
        "rfe_sent",
        "Request for Additional Evidence Was Sent",
        "Se Envió una Solicitud de Evidencia Adicional",
        "Pedido de Evidência Adicional Foi Enviado",
        "On {date}, we sent a request for additional evidence for your Form {form}, Receipt Number {receipt}. "
        "The request explains what we need and when we need it.",
        "El {date}, enviamos una solicitud de evidencia adicional para su Formulario {form}, Número de Recibo "
        "{receipt}. La solicitud explica qué necesitamos y para cuándo.",
        "Em {date}, enviamos um pedido de evidência adicional para o seu Formulário {form}, Número de Recibo "
        "{receipt}. O pedido explica do que precisamos e até quando.",
        detail="Respond by the deadline in the notice.",
    ),
    _s(
        "rfe_response_received",
        "Response To USCIS' Request For Evidence Was Received",
        "Se Recibió la Respuesta a la Solicitud de Evidencia",
        "Resposta ao Pedido de Evidência Foi Recebida",
        "On {date}, we received your response to our request for evidence for your Form {form}, Receipt Number "
        "{receipt}. Your case has resumed processing.",
        "El {date}, recibimos su respuesta a nuestra solicitud de evidencia para su Formulario {form}, Número de "
        "Recibo {receipt}. Su caso continúa en trámite.",
        "Em {date}, recebemos sua resposta ao nosso pedido de evidência para o seu Formulário {form}, Número de "
        "Recibo {receipt}. Seu caso voltou a ser processado.",
    ),
    _s(
        "interview_scheduled",
        "Interview Was Scheduled",
        "Se Programó la Entrevista",
        "Entrevista Foi Agendada",
        "On {date}, we scheduled an interview for your Form {form}, Receipt Number {receipt}. We mailed you an "
        "interview notice.",
        "El {date}, programamos una entrevista para su Formulario {form}, Número de Recibo {receipt}. Le enviamos un "
        "aviso de entrevista por correo.",
        "Em {date}, agendamos uma entrevista para o seu Formulário {form}, Número de Recibo {receipt}. Enviamos um "
        "aviso de entrevista pelo correio.",
        detail="Bring the interview notice and original documents.",
    ),
    _s(
        "interview_completed",
        "Interview Was Completed And My Case Must Be Reviewed",
        "La Entrevista Se Completó y Mi Caso Debe Ser Revisado",
        "Entrevista Foi Concluída e Meu Caso Será Revisado",
        "On {date}, your interview for your Form {form}, Receipt Number {receipt}, was completed and your case must "
        "be reviewed.",
        "El {date}, se completó la entrevista de su Formulario {form}, Número de Recibo {receipt}, y su caso debe ser "
        "revisado.",
        "Em {date}, a entrevista do seu Formulário {form}, Número de Recibo {receipt}, foi concluída e seu caso será "
        "revisado.",
    ),
    _s(
        "approved",
        "Case Was Approved",
        "Caso Fue Aprobado",
        "Caso Foi Aprovado",
        "On {date}, we approved your Form {form}, {title}, Receipt Number {receipt}. We sent you an approval notice.",
        "El {date}, aprobamos su Formulario {form}, {title}, Número de Recibo {receipt}. Le enviamos un aviso de "
        "aprobación.",
        "Em {date}, aprovamos o seu Formulário {form}, {title}, Número de Recibo {receipt}. Enviamos um aviso de "
        "aprovação.",
    ),
    _s(
        "card_being_produced",
        "New Card Is Being Produced",
        "Se Está Produciendo la Nueva Tarjeta",
        "Novo Cartão Está Sendo Produzido",
        "On {date}, we ordered your new card for Receipt Number {receipt}, and will mail it to the address you gave us.",
        "El {date}, ordenamos su nueva tarjeta para el Número de Recibo {receipt} y la enviaremos a la dirección que "
        "nos dio.",
        "Em {date}, solicitamos seu novo cartão para o Número de Recibo {receipt} e o enviaremos ao endereço "
        "informado.",
    ),
    _s(
        "card_mailed",
        "Card Was Mailed To Me",
        "La Tarjeta Me Fue Enviada por Correo",
        "Cartão Foi Enviado pelo Correio",
        "On {date}, we mailed your new card for Receipt Number {receipt}. The U.S. Postal Service should deliver it "
        "within 30 days.",
        "El {date}, enviamos por correo su nueva tarjeta para el Número de Recibo {receipt}. El Servicio Postal debería "
        "entregarla en 30 días.",
        "Em {date}, enviamos pelo correio seu novo cartão para o Número de Recibo {receipt}. O Serviço Postal deve "
        "entregá-lo em até 30 dias.",
    ),
    _s(
        "card_delivered",
        "Card Was Delivered To Me By The Post Office",
        "La Oficina de Correos Me Entregó la Tarjeta",
        "Cartão Foi Entregue pelos Correios",
        "On {date}, the Post Office delivered your new card for Receipt Number {receipt}.",
        "El {date}, la Oficina de Correos entregó su nueva tarjeta para el Número de Recibo {receipt}.",
        "Em {date}, os Correios entregaram seu novo cartão para o Número de Recibo {receipt}.",
        terminal=True,
    ),
    _s(
        "oath_ceremony_scheduled",
        "Oath Ceremony Was Scheduled",
        "Se Programó la Ceremonia de Juramentación",
        "Cerimônia de Juramento Foi Agendada",
        "On {date}, we scheduled your oath ceremony for your Form {form}, Receipt Number {receipt}.",
        "El {date}, programamos su ceremonia de juramentación para su Formulario {form}, Número de Recibo {receipt}.",
        "Em {date}, agendamos sua cerimônia de juramento para o seu Formulário {form}, Número de Recibo {receipt}.",
        terminal=True,
    ),
    _s(
        "denied",
        "Case Was Denied",
        "Caso Fue Negado",
        "Caso Foi Negado",
        "On {date}, we denied your Form {form}, Receipt Number {receipt}. We sent you a decision notice that explains "
        "why.",
        "El {date}, negamos su Formulario {form}, Número de Recibo {receipt}. Le enviamos un aviso de decisión que "
        "explica el motivo.",
        "Em {date}, negamos o seu Formulário {form}, Número de Recibo {receipt}. Enviamos um aviso de decisão que "
        "explica o motivo.",
        terminal=True,
    ),
    _s(
        "transferred",
        "Case Was Transferred And A New Office Has Jurisdiction",
        "Caso Fue Transferido y una Nueva Oficina Tiene Jurisdicción",
        "Caso Foi Transferido e um Novo Escritório Tem Jurisdição",
        "On {date}, we transferred your Form {form}, Receipt Number {receipt}, to another office for processing.",
        "El {date}, transferimos su Formulario {form}, Número de Recibo {receipt}, a otra oficina para su trámite.",
        "Em {date}, transferimos o seu Formulário {form}, Número de Recibo {receipt}, para outro escritório.",
    ),
    _s(
        "withdrawal_acknowledged",
        "Withdrawal Acknowledgement Notice Was Sent",
        "Se Envió el Aviso de Retiro de la Solicitud",
        "Aviso de Desistência Foi Enviado",
        "On {date}, we received your request to withdraw your Form {form}, Receipt Number {receipt}, and sent you an "
        "acknowledgement notice.",
        "El {date}, recibimos su solicitud de retirar su Formulario {form}, Número de Recibo {receipt}, y le enviamos "
        "un aviso de confirmación.",
        "Em {date}, recebemos seu pedido de desistência do Formulário {form}, Número de Recibo {receipt}, e enviamos "
        "um aviso de confirmação.",
        terminal=True,
    ),
)
STATUSES: Mapping[str, Status] = MappingProxyType({status.key: status for status in _STATUSES})
_BY_TITLE = {status.code_en.lower(): status for status in _STATUSES}


def get_status(key_or_title: str) -> Status:
    """A status by key (``rfe_sent``) or English title (``Case Was Approved``), case-insensitively."""
    wanted = key_or_title.strip()
    status = STATUSES.get(wanted.lower()) or _BY_TITLE.get(wanted.lower())
    if status is None:
        raise KeyError(f"unknown status {key_or_title!r}; valid keys: {', '.join(STATUSES)}")
    return status


def get_form(code: str) -> Form:
    """A form by code (``I-485``, case-insensitively); raises ``KeyError`` listing the known forms."""
    try:
        return FORMS[code.upper()]
    except KeyError:
        raise KeyError(f"unknown form {code!r}; known forms: {', '.join(FORMS)}") from None
