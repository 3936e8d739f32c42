"""The query UI's words in de, en, az and ru (the page's and those its script writes)."""

from __future__ import annotations

from typing import Any

_PAGE: dict[str, dict[str, str]] = {
    "heading": {
        "en": "SPARQL query",
        "de": "SPARQL-Abfrage",
        "az": "SPARQL sorğusu",
        "ru": "SPARQL-запрос",
    },
    "endpoint": {"en": "Endpoint", "de": "Endpunkt", "az": "Son nöqtə", "ru": "Точка доступа"},
    "build": {"en": "build", "de": "Version", "az": "versiya", "ru": "версия"},
    "triples": {
        "en": "triples (the default graph is the union of the named graphs)",
        "de": "Tripel (der Standardgraph ist die Vereinigung der benannten Graphen)",
        "az": "üçlük (standart qraf adlı qrafların birləşməsidir)",
        "ru": "триплетов (граф по умолчанию — объединение именованных графов)",
    },
    "read_only": {
        "en": "read-only; a query stops after the time limit",
        "de": "nur lesend; eine Abfrage endet nach dem Zeitlimit",
        "az": "yalnız oxumaq üçün; sorğu vaxt limitindən sonra dayanır",
        "ru": "только чтение; запрос прерывается по истечении лимита времени",
    },
    "examples": {
        "en": "Example query",
        "de": "Beispielabfrage",
        "az": "Nümunə sorğu",
        "ru": "Пример запроса",
    },
    "run_example": {
        "en": "Open and run",
        "de": "Öffnen und ausführen",
        "az": "Aç və icra et",
        "ru": "Открыть и выполнить",
    },
    "query": {"en": "Query", "de": "Abfrage", "az": "Sorğu", "ru": "Запрос"},
    "run": {"en": "Run", "de": "Ausführen", "az": "İcra et", "ru": "Выполнить"},
}
_SCRIPT: dict[str, dict[str, str]] = {
    "syntax": {
        "en": "The query does not parse at line {line}, column {column}.",
        "de": "Die Abfrage ist in Zeile {line}, Spalte {column} fehlerhaft.",
        "az": "Sorğu {line}-ci sətir, {column}-ci sütunda təhlil edilmir.",
        "ru": "Запрос не разобран: строка {line}, столбец {column}.",
    },
    "go_to": {
        "en": "Show the position",
        "de": "Stelle zeigen",
        "az": "Yeri göstər",
        "ru": "Показать место",
    },
    "details": {
        "en": "Parser message",
        "de": "Meldung des Parsers",
        "az": "Parserin mesajı",
        "ru": "Сообщение парсера",
    },
    "failed": {
        "en": "The query failed",
        "de": "Die Abfrage ist fehlgeschlagen",
        "az": "Sorğu uğursuz oldu",
        "ru": "Запрос не выполнен",
    },
    "hint": {"en": "Hint", "de": "Hinweis", "az": "İpucu", "ru": "Подсказка"},
    "editor": {
        "en": "SPARQL query editor",
        "de": "SPARQL-Editor",
        "az": "SPARQL redaktoru",
        "ru": "Редактор SPARQL",
    },
    "tab_name": {"en": "Tab name", "de": "Name des Tabs", "az": "Tabın adı", "ru": "Имя вкладки"},
    "endpoint": {"en": "Endpoint", "de": "Endpunkt", "az": "Son nöqtə", "ru": "Точка доступа"},
    "search": {
        "en": "Filter the results",
        "de": "Ergebnisse filtern",
        "az": "Nəticələri süz",
        "ru": "Фильтр результатов",
    },
    "page_size": {
        "en": "Rows per page",
        "de": "Zeilen pro Seite",
        "az": "Səhifədə sətir",
        "ru": "Строк на странице",
    },
    "control": {"en": "Option", "de": "Option", "az": "Seçim", "ru": "Параметр"},
    "linked": {
        "en": "Linked query",
        "de": "Verlinkte Abfrage",
        "az": "Keçidli sorğu",
        "ru": "Запрос по ссылке",
    },
    "start_failed": {
        "en": "The query editor could not start",
        "de": "Der Abfrage-Editor konnte nicht starten",
        "az": "Sorğu redaktoru başlaya bilmədi",
        "ru": "Редактор запросов не запустился",
    },
}


def ui_words(lang: str) -> dict[str, Any]:
    """The page's words in ``lang`` (English where missing), and under ``"script"`` the script's."""
    page: dict[str, Any] = {key: texts.get(lang, texts["en"]) for key, texts in _PAGE.items()}
    page["script"] = {key: texts.get(lang, texts["en"]) for key, texts in _SCRIPT.items()}
    return page
