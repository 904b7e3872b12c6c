"""Photos and PDFs: checked and prepared (`inspect`, `pdfs`), stored once per school by
content (`files`, `storage`), uploaded once per sending number (`uploads`), fetched from
WhatsApp when someone sends one (`downloads`); refusals in the reader's language."""
