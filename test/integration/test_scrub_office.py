"""The OOXML (docx, xlsx, pptx) and ODF (odt, ods, odp) scrubbers on
documents these tests write themselves with zipfile and hand-written
XML, with a canary ("canary", any case) in every place issue 7 lists:
core, app, custom and meta properties, comment and tracked-change
authors, initials and dates, revision session ids, printer settings,
templates, signatures, zip dates, comments and extra fields.  After
scrubbing: no canary in the raw bytes or in any member, every XML part
parses, the package's references hold, `unzip -t`, exiftool and mat2 are
happy, and the text is still there.  Then hostile archives and XML, each
refused with a "refused" line and no crash.  No stack needed: each file
goes through build/test/unit/scrub_cli."""

import io
import json
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from conftest import BUILD

CLI = BUILD / "test" / "unit" / "scrub_cli"
CANARY = re.compile(rb"(?i)canary")
NAME = "Canary Person"
EMAIL = "canary@example.org"
WHEN = "2021-03-04T05:06:07Z"
TEXT = "The quarterly figures were wrong."

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
RT = R  # relationship types share the prefix
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

pytestmark = pytest.mark.skipif(not CLI.exists(), reason="scrub_cli not built")


# ---- writing fixtures ----

def write_zip(path, members, stored=("mimetype",), canary_zip=True):
    """members: [(name, str|bytes)].  Every member gets a canary comment,
    a canary extra field and a 2021 date, which must all go."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            zi = zipfile.ZipInfo(name, date_time=(2021, 3, 4, 5, 6, 7))
            zi.compress_type = (zipfile.ZIP_STORED if name in stored
                                else zipfile.ZIP_DEFLATED)
            zi.create_system = 0  # MS-DOS, as Office writes
            if canary_zip and name not in stored:
                payload = b"canary-uid-1000"
                zi.extra = struct.pack("<HH", 0x7875, len(payload)) + payload
                zi.comment = b"canary member comment"
            if isinstance(data, str):
                data = data.encode()
            z.writestr(zi, data)
        if canary_zip:
            z.comment = b"Canary archive comment"
    return path


def core_xml():
    return DECL + f"""<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<dc:title>Canary title</dc:title><dc:subject>Canary subject</dc:subject>
<dc:creator>{NAME}</dc:creator><cp:keywords>canary keywords</cp:keywords>
<dc:description>Canary description</dc:description>
<cp:lastModifiedBy>{EMAIL}</cp:lastModifiedBy><cp:revision>42</cp:revision>
<cp:lastPrinted>{WHEN}</cp:lastPrinted>
<dcterms:created xsi:type="dcterms:W3CDTF">{WHEN}</dcterms:created>
<dcterms:modified xsi:type="dcterms:W3CDTF">{WHEN}</dcterms:modified>
<cp:category>Canary category</cp:category><cp:contentStatus>Canary status</cp:contentStatus>
</cp:coreProperties>"""


def app_xml(app="Microsoft Office Word"):
    return DECL + f"""<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">
<Template>CanaryTemplate.dotm</Template><TotalTime>4242</TotalTime><Pages>1</Pages>
<Application>{app} (canary build)</Application><DocSecurity>0</DocSecurity>
<Company>Canary Corp</Company><Manager>Canary Manager</Manager>
<HyperlinkBase>file:///C:/Users/canary/</HyperlinkBase><AppVersion>16.0000</AppVersion>
</Properties>"""


def custom_xml():
    return DECL + """<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">
<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="CanaryField"><vt:lpwstr>Canary employee number 4711</vt:lpwstr></property>
</Properties>"""


def types_xml(overrides, defaults=()):
    d = "".join(f'<Default Extension="{e}" ContentType="{t}"/>' for e, t in
                [("rels", "application/vnd.openxmlformats-package.relationships+xml"),
                 ("xml", "application/xml"),
                 ("bin", "application/vnd.openxmlformats-officedocument.printerSettings"),
                 *defaults])
    o = "".join(f'<Override PartName="/{p}" ContentType="{t}"/>' for p, t in overrides)
    return DECL + f'<Types xmlns="{CT}">{d}{o}</Types>'


def rels_xml(rels):
    body = ""
    for i, (typ, target, *ext) in enumerate(rels, 1):
        mode = ' TargetMode="External"' if ext else ""
        if not typ.startswith("http"):
            typ = f"{RT}/{typ}"
        body += f'<Relationship Id="rId{i}" Type="{typ}" Target="{target}"{mode}/>'
    return DECL + f'<Relationships xmlns="{PR}">{body}</Relationships>'


def package_props():
    """The docProps and customXml parts every OOXML fixture carries."""
    return [
        ("docProps/core.xml", core_xml()),
        ("docProps/app.xml", app_xml()),
        ("docProps/custom.xml", custom_xml()),
        ("customXml/item1.xml", '<?xml version="1.0"?><CoverPageProperties xmlns="http://schemas.microsoft.com/office/2006/coverPageProps"><PublishDate>2021-03-04</PublishDate><Abstract>Canary abstract</Abstract><CompanyAddress>1 Canary Road</CompanyAddress></CoverPageProperties>'),
        ("customXml/itemProps1.xml", '<?xml version="1.0"?><ds:datastoreItem ds:itemID="{CANARY00-0000-0000-0000-000000000000}" xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"/>'),
        ("customXml/_rels/item1.xml.rels", rels_xml([("customXmlProps", "itemProps1.xml")])),
    ]


PROPS_OVERRIDES = [
    ("docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
    ("docProps/app.xml", "application/vnd.openxmlformats-officedocument.extended-properties+xml"),
    ("docProps/custom.xml", "application/vnd.openxmlformats-officedocument.custom-properties+xml"),
    ("customXml/itemProps1.xml", "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"),
]

ROOT_RELS = [
    ("http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties", "docProps/core.xml"),
    ("extended-properties", "docProps/app.xml"),
    ("custom-properties", "docProps/custom.xml"),
]


def docx_members(media=None):
    wns = (f'xmlns:w="{W}" xmlns:r="{R}" '
           'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
           'xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml" '
           'xmlns:w16cex="http://schemas.microsoft.com/office/word/2018/wordml/cex" '
           'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
           'mc:Ignorable="w14 w15 w16cex"')
    who = f'w:author="{NAME}" w:date="{WHEN}"'
    pic = ""
    if media:
        pic = ('<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
               '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
               '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:blipFill><a:blip r:embed="rId8"/></pic:blipFill></pic:pic>'
               '</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>')
    document = DECL + f"""<w:document {wns}><w:body>
<w:p w:rsidR="00CA0001" w:rsidRDefault="00CA0002" w:rsidP="00CA0003" w14:paraId="1A2B3C4D" w14:textId="77777777">
<w:pPr><w:pPrChange w:id="1" {who}><w:pPr/></w:pPrChange></w:pPr>
<w:permStart w:id="9" w:ed="CANARYDOMAIN\\canary"/>
<w:commentRangeStart w:id="0"/>
<w:r w:rsidRPr="00CA0004"><w:rPr><w:b/><w:rPrChange w:id="2" {who}><w:rPr/></w:rPrChange></w:rPr><w:t>{TEXT}</w:t></w:r>
<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r>
<w:ins w:id="3" {who}><w:r><w:t xml:space="preserve"> Inserted words.</w:t></w:r></w:ins>
<w:del w:id="4" {who}><w:r><w:delText>Deleted words.</w:delText></w:r></w:del>
<w:permEnd w:id="9"/>{pic}
</w:p>
<w:sectPr w:rsidR="00CA0005"><w:pgSz w:w="11906" w:h="16838"/></w:sectPr>
</w:body></w:document>"""
    comments = DECL + f"""<w:comments {wns}>
<w:comment w:id="0" w:author="{NAME}" w:date="{WHEN}" w:initials="CP"><w:p w14:paraId="5E6F7A8B"><w:r><w:t>Check this number.</w:t></w:r></w:p></w:comment>
</w:comments>"""
    ext = DECL + f"""<w16cex:commentsExtensible {wns}><w16cex:commentExtensible w16cex:durableId="2A3B4C5D" w16cex:dateUtc="{WHEN}"/></w16cex:commentsExtensible>"""
    people = DECL + f"""<w15:people {wns}><w15:person w15:author="{NAME}"><w15:presenceInfo w15:providerId="AD" w15:userId="S::{EMAIL}::canary-guid"/></w15:person></w15:people>"""
    settings = DECL + f"""<w:settings {wns}>
<w:writeProtection w:cryptProviderType="rsaAES" w:cryptAlgorithmSid="14" w:hashValue="Q2FuYXJ5IGhhc2g=" w:saltValue="Q2FuYXJ5" w:cryptSpinCount="100000"/>
<w:attachedTemplate r:id="rId1"/>
<w:documentProtection w:edit="readOnly" w:enforcement="1" w:hashValue="Q2FuYXJ5IGhhc2g=" w:saltValue="Q2FuYXJ5"/>
<w:defaultTabStop w:val="708"/>
<w:docVars><w:docVar w:name="CanaryVar" w:val="Canary DMS user"/></w:docVars>
<w:rsids><w:rsidRoot w:val="00CA0001"/><w:rsid w:val="00CA0002"/></w:rsids>
<w15:docId w15:val="{{CA000000-0000-0000-0000-00000000CAFE}}"/>
</w:settings>"""
    members = [
        ("[Content_Types].xml", types_xml([
            ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
            ("word/comments.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"),
            ("word/commentsExtensible.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtensible+xml"),
            ("word/settings.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"),
            ("word/people.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.people+xml"),
            *PROPS_OVERRIDES], [("jpeg", "image/jpeg"), ("png", "image/png")])),
        ("_rels/.rels", rels_xml([("officeDocument", "word/document.xml"), *ROOT_RELS])),
        ("word/document.xml", document),
        ("word/_rels/document.xml.rels", rels_xml([
            ("comments", "comments.xml"),
            ("http://schemas.microsoft.com/office/2018/08/relationships/commentsExtensible", "commentsExtensible.xml"),
            ("settings", "settings.xml"),
            ("http://schemas.microsoft.com/office/2011/relationships/people", "people.xml"),
            ("customXml", "../customXml/item1.xml"),
            ("printerSettings", "printerSettings/printerSettings1.bin"),
            ("hyperlink", "https://example.net/report", True),
            *([("image", f"media/{media[0]}")] if media else [])])),
        ("word/comments.xml", comments),
        ("word/commentsExtensible.xml", ext),
        ("word/people.xml", people),
        ("word/settings.xml", settings),
        ("word/_rels/settings.xml.rels", rels_xml([
            ("attachedTemplate", "file:///C:/Users/canary/AppData/Roaming/Microsoft/Templates/CanaryTemplate.dotm", True)])),
        ("word/printerSettings/printerSettings1.bin", b"\x00Canary Laser 9000 on \\\\CANARY-PC\x00" * 4),
        *package_props(),
    ]
    if media:
        members.append((f"word/media/{media[0]}", media[1]))
    return members


def xlsx_members():
    x = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    wb = DECL + f"""<workbook xmlns="{x}" xmlns:r="{R}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" mc:Ignorable="x15 xr">
<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="22228"/>
<fileSharing readOnlyRecommended="1" userName="{NAME}" reservationPassword="CA11"/>
<workbookPr defaultThemeVersion="166925"/>
<workbookProtection workbookPassword="CA11" lockStructure="1"/>
<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><mc:Choice Requires="x15"><x15ac:absPath xmlns:x15ac="http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac" url="C:\\Users\\canary\\Documents\\"/></mc:Choice></mc:AlternateContent>
<xr:revisionPtr revIDLastSave="0" documentId="8_{{CA000000-0000-0000-0000-00000000CAFE}}" xr6:coauthVersionLast="47" xmlns:xr6="http://schemas.microsoft.com/office/spreadsheetml/2016/revision6"/>
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>
<pivotCaches><pivotCache cacheId="1" r:id="rId4"/></pivotCaches>
</workbook>"""
    sheet = DECL + f"""<worksheet xmlns="{x}" xmlns:r="{R}"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>4217</v></c></row>
</sheetData>
<sheetProtection algorithmName="SHA-512" hashValue="Q2FuYXJ5IGhhc2g=" saltValue="Q2FuYXJ5" spinCount="100000" sheet="1"/>
<pageSetup paperSize="9" orientation="portrait" r:id="rId1"/>
<legacyDrawing r:id="rId3"/>
</worksheet>"""
    comments = DECL + f"""<comments xmlns="{x}"><authors><author>{NAME}</author><author>tc={{CA000000-0000-0000-0000-000000000001}}</author></authors>
<commentList><comment ref="B1" authorId="0"><text><r><t>Is this right?</t></r></text></comment></commentList></comments>"""
    tc_ns = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
    threaded = DECL + f"""<ThreadedComments xmlns="{tc_ns}" xmlns:x="{x}"><threadedComment ref="B1" dT="{WHEN}" personId="{{CA000000-0000-0000-0000-000000000002}}" id="{{CA000000-0000-0000-0000-000000000003}}"><text>Is this right?</text></threadedComment></ThreadedComments>"""
    persons = DECL + f"""<personList xmlns="{tc_ns}" xmlns:x="{x}"><person displayName="{NAME}" id="{{CA000000-0000-0000-0000-000000000002}}" userId="{EMAIL}" providerId="AD"/></personList>"""
    pivot = DECL + f"""<pivotCacheDefinition xmlns="{x}" xmlns:r="{R}" refreshedBy="{NAME}" refreshedDate="44256.5" refreshedDateIso="{WHEN}" createdVersion="7" recordCount="0"><cacheSource type="worksheet"><worksheetSource ref="A1:B1" sheet="Sheet1"/></cacheSource><cacheFields count="0"/></pivotCacheDefinition>"""
    vml = """<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout><v:shape id="_x0000_s1025" type="#_x0000_t202"><x:ClientData ObjectType="Note"><x:Row>0</x:Row><x:Column>1</x:Column></x:ClientData></v:shape></xml>"""
    sst = DECL + f'<sst xmlns="{x}" count="1" uniqueCount="1"><si><t>Quarterly total</t></si></sst>'
    return [
        ("[Content_Types].xml", types_xml([
            ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
            ("xl/worksheets/sheet1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"),
            ("xl/sharedStrings.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"),
            ("xl/comments1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"),
            ("xl/threadedComments/threadedComment1.xml", "application/vnd.ms-excel.threadedcomments+xml"),
            ("xl/persons/person.xml", "application/vnd.ms-excel.person+xml"),
            ("xl/pivotCache/pivotCacheDefinition1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition+xml"),
            *PROPS_OVERRIDES], [("vml", "application/vnd.openxmlformats-officedocument.vmlDrawing")])),
        ("_rels/.rels", rels_xml([("officeDocument", "xl/workbook.xml"), *ROOT_RELS])),
        ("xl/workbook.xml", wb),
        ("xl/_rels/workbook.xml.rels", rels_xml([
            ("worksheet", "worksheets/sheet1.xml"),
            ("sharedStrings", "sharedStrings.xml"),
            ("http://schemas.microsoft.com/office/2017/10/relationships/person", "persons/person.xml"),
            ("pivotCacheDefinition", "pivotCache/pivotCacheDefinition1.xml"),
            ("customXml", "../customXml/item1.xml")])),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/worksheets/_rels/sheet1.xml.rels", rels_xml([
            ("printerSettings", "../printerSettings/printerSettings1.bin"),
            ("comments", "../comments1.xml"),
            ("vmlDrawing", "../drawings/vmlDrawing1.vml"),
            ("http://schemas.microsoft.com/office/2017/10/relationships/threadedComment", "../threadedComments/threadedComment1.xml")])),
        ("xl/sharedStrings.xml", sst),
        ("xl/comments1.xml", comments),
        ("xl/threadedComments/threadedComment1.xml", threaded),
        ("xl/persons/person.xml", persons),
        ("xl/pivotCache/pivotCacheDefinition1.xml", pivot),
        ("xl/drawings/vmlDrawing1.vml", vml),
        ("xl/printerSettings/printerSettings1.bin", b"\x00Canary Laser 9000\x00" * 8),
        *package_props(),
    ]


def pptx_members():
    p = "http://schemas.openxmlformats.org/presentationml/2006/main"
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    p188 = "http://schemas.microsoft.com/office/powerpoint/2018/8/main"
    pres = DECL + f"""<p:presentation xmlns:p="{p}" xmlns:a="{a}" xmlns:r="{R}"><p:sldIdLst><p:sldId id="256" r:id="rId1"/></p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/><p:modifyVerifier cryptProviderType="rsaAES" hashData="Q2FuYXJ5" saltData="Q2FuYXJ5" spinValue="100000"/></p:presentation>"""
    slide = DECL + f"""<p:sld xmlns:p="{p}" xmlns:a="{a}" xmlns:r="{R}"><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>
<p:sp><p:nvSpPr><p:cNvPr id="2" name="Title 1"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:p><a:r><a:t>Quarterly slide</a:t></a:r></a:p></p:txBody></p:sp>
</p:spTree></p:cSld></p:sld>"""
    authors = DECL + f"""<p:cmAuthorLst xmlns:p="{p}"><p:cmAuthor id="0" name="{NAME}" initials="CP" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>"""
    cm = DECL + f"""<p:cmLst xmlns:p="{p}"><p:cm authorId="0" dt="{WHEN}" idx="1"><p:pos x="10" y="10"/><p:text>Check the slide.</p:text></p:cm></p:cmLst>"""
    mauthors = DECL + f"""<p188:authorLst xmlns:p188="{p188}"><p188:author id="{{CA000000-0000-0000-0000-000000000004}}" name="{NAME}" initials="CP" userId="{EMAIL}" providerId="AD"/></p188:authorLst>"""
    mcm = DECL + f"""<p188:cmLst xmlns:p188="{p188}" xmlns:a="{a}"><p188:cm id="{{CA000000-0000-0000-0000-000000000005}}" authorId="{{CA000000-0000-0000-0000-000000000004}}" created="{WHEN}"><p188:txBody><a:bodyPr/><a:p><a:r><a:t>Modern remark.</a:t></a:r></a:p></p188:txBody><p188:replyLst><p188:reply id="{{CA000000-0000-0000-0000-000000000006}}" authorId="{{CA000000-0000-0000-0000-000000000004}}" created="{WHEN}"><p188:txBody><a:bodyPr/><a:p><a:r><a:t>Reply.</a:t></a:r></a:p></p188:txBody></p188:reply></p188:replyLst></p188:cm></p188:cmLst>"""
    return [
        ("[Content_Types].xml", types_xml([
            ("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
            ("ppt/slides/slide1.xml", "application/vnd.openxmlformats-officedocument.presentationml.slide+xml"),
            ("ppt/commentAuthors.xml", "application/vnd.openxmlformats-officedocument.presentationml.commentAuthors+xml"),
            ("ppt/comments/comment1.xml", "application/vnd.openxmlformats-officedocument.presentationml.comments+xml"),
            ("ppt/authors.xml", "application/vnd.ms-powerpoint.authors+xml"),
            ("ppt/comments/modernComment_100_0.xml", "application/vnd.ms-powerpoint.comments+xml"),
            *PROPS_OVERRIDES])),
        ("_rels/.rels", rels_xml([("officeDocument", "ppt/presentation.xml"), *ROOT_RELS])),
        ("ppt/presentation.xml", pres),
        ("ppt/_rels/presentation.xml.rels", rels_xml([
            ("slide", "slides/slide1.xml"),
            ("commentAuthors", "commentAuthors.xml"),
            ("http://schemas.microsoft.com/office/2018/10/relationships/authors", "authors.xml"),
            ("printerSettings", "printerSettings/printerSettings1.bin")])),
        ("ppt/slides/slide1.xml", slide),
        ("ppt/slides/_rels/slide1.xml.rels", rels_xml([
            ("comments", "../comments/comment1.xml"),
            ("http://schemas.microsoft.com/office/2018/10/relationships/comments", "../comments/modernComment_100_0.xml")])),
        ("ppt/commentAuthors.xml", authors),
        ("ppt/comments/comment1.xml", cm),
        ("ppt/authors.xml", mauthors),
        ("ppt/comments/modernComment_100_0.xml", mcm),
        ("ppt/printerSettings/printerSettings1.bin", b"\x00Canary Laser 9000\x00" * 8),
        *package_props(),
    ]


ODF_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "meta": "urn:oasis:names:tc:opendocument:xmlns:meta:1.0",
    "config": "urn:oasis:names:tc:opendocument:xmlns:config:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xlink": "http://www.w3.org/1999/xlink",
    "officeooo": "http://openoffice.org/2009/office",
    "loext": "urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0",
}
ODF_XMLNS = " ".join(f'xmlns:{k}="{v}"' for k, v in ODF_NS.items())


def annotation():
    return (f"<office:annotation><dc:creator>{NAME}</dc:creator><dc:date>2021-03-04T05:06:07</dc:date>"
            "<meta:creator-initials>CP</meta:creator-initials><meta:date-string>03/04/2021</meta:date-string>"
            "<text:p>Check this number.</text:p></office:annotation>")


def odf_members(kind):
    mime = f"application/vnd.oasis.opendocument.{kind}"
    if kind == "text":
        body = f"""<office:text>
<text:tracked-changes><text:changed-region text:id="ct1"><text:insertion><office:change-info><dc:creator>{NAME}</dc:creator><dc:date>2021-03-04T05:06:07</dc:date></office:change-info></text:insertion></text:changed-region></text:tracked-changes>
<text:p text:style-name="P1">{TEXT}{annotation()}<text:change-start text:change-id="ct1"/> Inserted words.<text:change-end text:change-id="ct1"/></text:p>
<text:p>By <text:author-name text:fixed="true">{NAME}</text:author-name> (<text:author-initials>CP</text:author-initials>), <text:sender-email>{EMAIL}</text:sender-email>, printed by <text:printed-by>canary</text:printed-by> on <text:print-date text:date-value="2021-03-04">03/04/21 canary</text:print-date>.</text:p>
</office:text>"""
    elif kind == "spreadsheet":
        body = f"""<office:spreadsheet><table:table table:name="Sheet1"><table:table-row>
<table:table-cell office:value-type="string"><text:p>Quarterly total</text:p></table:table-cell>
<table:table-cell office:value-type="float" office:value="4217">{annotation()}<text:p>4217</text:p></table:table-cell>
</table:table-row></table:table></office:spreadsheet>"""
    else:
        body = f"""<office:presentation><draw:page draw:name="page1"><draw:frame><draw:text-box><text:p>Quarterly slide</text:p></draw:text-box></draw:frame>{annotation()}</draw:page></office:presentation>"""
    content = DECL + f"""<office:document-content {ODF_XMLNS} office:version="1.3">
<office:automatic-styles><style:style style:name="P1" style:family="paragraph"><style:paragraph-properties officeooo:paragraph-rsid="00ca0001"/><style:text-properties officeooo:rsid="00ca0002"/></style:style></office:automatic-styles>
<office:body>{body}</office:body></office:document-content>"""
    meta = DECL + f"""<office:document-meta {ODF_XMLNS} office:version="1.3"><office:meta>
<meta:initial-creator>{NAME}</meta:initial-creator><dc:creator>{EMAIL}</dc:creator>
<meta:creation-date>2021-03-04T05:06:07</meta:creation-date><dc:date>2021-03-04T05:06:07</dc:date>
<meta:printed-by>Canary Printer User</meta:printed-by><meta:print-date>2021-03-04T05:06:07</meta:print-date>
<meta:editing-duration>PT42H</meta:editing-duration><meta:editing-cycles>42</meta:editing-cycles>
<meta:generator>CanaryOffice/7.4 (canary build)</meta:generator>
<meta:template xlink:type="simple" xlink:href="file:///home/canary/Templates/canary.ott" xlink:title="Canary template"/>
<meta:user-defined meta:name="Canary field">Canary employee 4711</meta:user-defined>
<dc:title>Canary title</dc:title><meta:keyword>canary</meta:keyword>
<meta:document-statistic meta:page-count="1"/>
</office:meta></office:document-meta>"""
    settings = DECL + f"""<office:document-settings {ODF_XMLNS} xmlns:ooo="http://openoffice.org/2004/office" office:version="1.3"><office:settings>
<config:config-item-set config:name="ooo:configuration-settings">
<config:config-item config:name="PrinterName" config:type="string">Canary Laser 9000</config:config-item>
<config:config-item config:name="PrinterSetup" config:type="base64Binary">Q2FuYXJ5IExhc2VyIDkwMDAgb24gQ0FOQVJZLVBD</config:config-item>
<config:config-item config:name="Rsid" config:type="int">13238273</config:config-item>
<config:config-item config:name="RsidRoot" config:type="int">13238274</config:config-item>
<config:config-item config:name="PrintFaxName" config:type="string"/>
<config:config-item config:name="AddParaTableSpacing" config:type="boolean">true</config:config-item>
</config:config-item-set></office:settings></office:document-settings>"""
    styles = DECL + f"""<office:document-styles {ODF_XMLNS} office:version="1.3"><office:styles/></office:document-styles>"""
    sig = DECL + f"""<document-signatures xmlns="urn:oasis:names:tc:opendocument:xmlns:digitalsignature:1.0"><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><KeyInfo><X509Data><X509IssuerName>CN={NAME}</X509IssuerName></X509Data></KeyInfo></Signature></document-signatures>"""
    manifest = DECL + f"""<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
<manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="{mime}"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>
<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
<manifest:file-entry manifest:full-path="settings.xml" manifest:media-type="text/xml"/>
<manifest:file-entry manifest:full-path="Configurations2/" manifest:media-type="application/vnd.sun.xml.ui.configuration"/>
<manifest:file-entry manifest:full-path="Configurations2/accelerator/current.xml" manifest:media-type=""/>
<manifest:file-entry manifest:full-path="layout-cache" manifest:media-type="application/binary"/>
</manifest:manifest>"""
    return [
        ("mimetype", mime),
        ("content.xml", content),
        ("styles.xml", styles),
        ("meta.xml", meta),
        ("settings.xml", settings),
        ("Configurations2/accelerator/current.xml", ""),
        ("Configurations2/toolbar/canary.xml", '<toolbar name="canary"/>'),
        ("layout-cache", b"\x00\x01canary layout\x00"),
        ("META-INF/manifest.xml", manifest),
        ("META-INF/documentsignatures.xml", sig),
    ]


# ---- running and checking ----

def scrub(family, src, dst):
    r = subprocess.run([str(CLI), family, str(src), str(dst)],
                       capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def members_of(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: (i, z.read(i)) for i in z.infolist()}


def has_canary(path):
    raw = Path(path).read_bytes()
    if CANARY.search(raw):
        return "raw bytes"
    for name, (_, data) in members_of(path).items():
        if CANARY.search(data) or CANARY.search(name.encode()):
            return name
    return None


def check_package(path, ooxml):
    """unzip -t, zip metadata, XML well-formed, references hold."""
    r = subprocess.run(["unzip", "-t", str(path)], capture_output=True)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    ms = members_of(path)
    with zipfile.ZipFile(path) as z:
        assert z.comment == b""
    for name, (info, data) in ms.items():
        assert info.date_time == (1980, 1, 1, 0, 0, 0), name
        assert info.extra == b"" and info.comment == b"", name
        assert info.create_system == 3, name
        if name.endswith((".xml", ".rels", ".vml", ".rdf")) and data:
            ET.fromstring(data)  # raises if not well-formed
    names = set(ms)
    if ooxml:
        assert next(iter(ms)) == "[Content_Types].xml"
        types = ET.fromstring(ms["[Content_Types].xml"][1])
        for o in types.findall(f"{{{CT}}}Override"):
            assert o.get("PartName")[1:] in names, o.get("PartName")
        for name in names:
            if not name.endswith(".rels"):
                continue
            base = name.split("_rels/")[0]
            for rel in ET.fromstring(ms[name][1]).findall(f"{{{PR}}}Relationship"):
                if rel.get("TargetMode") == "External":
                    continue
                t = rel.get("Target")
                parts = (t[1:] if t.startswith("/") else base + t).split("/")
                out = []
                for p in parts:
                    if p == "..":
                        out.pop()
                    elif p not in ("", "."):
                        out.append(p)
                assert "/".join(out) in names, (name, t)
    else:
        first = zipfile.ZipFile(path).infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        man = ET.fromstring(ms["META-INF/manifest.xml"][1])
        mns = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
        for e in man.findall(f"{{{mns}}}file-entry"):
            p = e.get(f"{{{mns}}}full-path")
            assert p == "/" or p in names or any(n.startswith(p) for n in names), p
    return ms


IDENTIFYING_TAGS = re.compile(
    r"(?i)^(creator|lastmodifiedby|company|manager|template|totaltime|"
    r"title|subject|keywords|description|category|initialcreator|"
    r"printedby|editingduration|editingcycles|generator|application|"
    r"revisionnumber|createdate|modifydate|modifyDate|lastprinted|"
    r"canary.*|hyperlinkbase|userdefined.*)$")


def check_exiftool(path):
    r = subprocess.run(["exiftool", "-a", "-G1", "-j", str(path)],
                       capture_output=True)
    tags = json.loads(r.stdout)[0]
    text = json.dumps(tags)
    assert not CANARY.search(text.encode()), text
    for key, value in tags.items():
        tag = key.split(":")[-1]
        if key.startswith(("ZIP:", "System:", "File:", "ExifTool:")) or tag == "SourceFile":
            continue
        assert not IDENTIFYING_TAGS.match(tag), (key, value)


def check_mat2(path, tmp_path):
    # mat2 works on a copy: --show only reads, but keep the fixture safe.
    copy = tmp_path / ("mat2-" + Path(path).name)
    shutil.copy(path, copy)
    r = subprocess.run(["mat2", "--show", str(copy)], capture_output=True,
                       text=True, timeout=60)
    out = r.stdout + r.stderr
    assert "No metadata found" in out, out
    assert not CANARY.search(out.encode()), out


def report_lines(out, kind):
    return [l.split(": ", 1)[1] for l in out.splitlines()
            if l.startswith(kind + ": ")]


FORMATS = {
    "docx": ("ooxml", docx_members, [TEXT, "Inserted words.", "Deleted words.", "Check this number."]),
    "xlsx": ("ooxml", xlsx_members, ["Quarterly total", "4217", "Is this right?"]),
    "pptx": ("ooxml", pptx_members, ["Quarterly slide", "Check the slide.", "Modern remark."]),
    "odt": ("odf", lambda: odf_members("text"), [TEXT, "Inserted words.", "Check this number."]),
    "ods": ("odf", lambda: odf_members("spreadsheet"), ["Quarterly total", "4217", "Check this number."]),
    "odp": ("odf", lambda: odf_members("presentation"), ["Quarterly slide", "Check this number."]),
}


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_scrubbed_clean_and_intact(ext, tmp_path):
    family, make, texts = FORMATS[ext]
    src = write_zip(tmp_path / f"in.{ext}", make())
    dst = tmp_path / f"out.{ext}"
    # The fixture does carry what must go (so the test can fail) ...
    assert has_canary(src)
    r = subprocess.run(["exiftool", "-a", "-G1", "-j", str(src)], capture_output=True)
    assert CANARY.search(r.stdout)
    # ... and the right family is chosen from the bytes alone.
    rc, out, err = scrub("auto", src, dst)
    assert rc == 0, out + err
    assert out.startswith("type: application/vnd." +
                          ("openxmlformats" if family == "ooxml" else "oasis"))
    removed = report_lines(out, "removed")
    assert len(removed) >= 5, out
    assert not CANARY.search(out.encode()), out
    assert has_canary(dst) is None, has_canary(dst)
    ms = check_package(dst, family == "ooxml")
    alltext = b"".join(d for _, d in ms.values()).decode("utf-8", "replace")
    for t in texts:
        assert t in alltext, t
    check_exiftool(dst)
    check_mat2(dst, tmp_path)
    # Scrubbing the result again takes nothing more out.
    rc2, out2, err2 = scrub(family, dst, tmp_path / f"again.{ext}")
    assert rc2 == 0, out2 + err2
    assert report_lines(out2, "removed") == [], out2
    assert (tmp_path / f"again.{ext}").read_bytes() == dst.read_bytes()


def test_docx_rewrites_people_and_keeps_changes(tmp_path):
    src = write_zip(tmp_path / "in.docx", docx_members())
    dst = tmp_path / "out.docx"
    rc, out, err = scrub("ooxml", src, dst)
    assert rc == 0, out + err
    ms = members_of(dst)
    doc = ET.fromstring(ms["word/document.xml"][1])
    ins = doc.findall(f".//{{{W}}}ins")
    dels = doc.findall(f".//{{{W}}}del")
    assert len(ins) == 1 and len(dels) == 1  # content, kept
    for el in ins + dels + doc.findall(f".//{{{W}}}rPrChange"):
        assert el.get(f"{{{W}}}author") == "Author"
        assert el.get(f"{{{W}}}date") is None
    for el in doc.iter():
        assert not any(k.startswith(f"{{{W}}}rsid") for k in el.attrib), el.tag
    com = ET.fromstring(ms["word/comments.xml"][1]).find(f"{{{W}}}comment")
    assert com.get(f"{{{W}}}author") == "Author"
    assert com.get(f"{{{W}}}initials") is None
    settings = ms["word/settings.xml"][1]
    for gone in (b"rsids", b"attachedTemplate", b"docVars", b"documentProtection", b"docId"):
        assert gone not in settings, gone
    assert b"defaultTabStop" in settings
    for gone in ("word/people.xml", "docProps/custom.xml",
                 "word/printerSettings/printerSettings1.bin", "customXml/item1.xml"):
        assert gone not in ms, gone
    assert b"attachedTemplate" not in ms["word/_rels/settings.xml.rels"][1]
    core = ET.fromstring(ms["docProps/core.xml"][1])
    assert core.tag.endswith("coreProperties") and len(core) == 0
    app = ET.fromstring(ms["docProps/app.xml"][1])
    assert app.tag.endswith("Properties") and len(app) == 0
    # The hyperlink, outside but content, stays.
    assert b"https://example.net/report" in ms["word/_rels/document.xml.rels"][1]
    for kind in ("authors of comments and tracked changes", "revision session ids",
                 "printer settings", "user-defined document properties"):
        assert kind in out, kind


def tiny_jpeg_with_gps(tmp_path):
    from PIL import Image  # python3-pil
    p = tmp_path / "photo.jpg"
    Image.new("RGB", (16, 16), (200, 30, 30)).save(p, "JPEG")
    subprocess.run(["exiftool", "-q", "-overwrite_original",
                    "-GPSLatitude=48.8584", "-GPSLatitudeRef=N",
                    "-GPSLongitude=2.2945", "-GPSLongitudeRef=E",
                    "-Artist=Canary Photographer", "-SerialNumber=CANARY123",
                    str(p)], check=True)
    return p.read_bytes()


def test_embedded_image_is_scrubbed_or_reported(tmp_path):
    """A picture in a document goes through the picture scrubber; while
    there is none for its type, it is kept and reported not-checked."""
    jpeg = tiny_jpeg_with_gps(tmp_path)
    assert b"CANARY123" in jpeg
    src = write_zip(tmp_path / "in.docx", docx_members(media=("image1.jpeg", jpeg)))
    dst = tmp_path / "out.docx"
    rc, out, err = scrub("ooxml", src, dst)
    assert rc == 0, out + err
    image = members_of(dst)["word/media/image1.jpeg"][1]
    if "not-checked: embedded pictures" in out:
        assert image == jpeg
    else:
        # A JPEG scrubber ran: the GPS position and serial are gone.
        assert b"CANARY123" not in image and image[:3] == b"\xff\xd8\xff"
        r = subprocess.run(["exiftool", "-a", "-G1", "-GPS*", "-j", "-"],
                           input=image, capture_output=True)
        assert "GPSLatitude" not in r.stdout.decode()
        assert "removed: EXIF GPS position" in out
        assert has_canary(dst) is None
        check_mat2(dst, tmp_path)


def test_nested_document_is_scrubbed(tmp_path):
    """A docx embedded in a docx is scrubbed by the same rules."""
    inner = write_zip(tmp_path / "inner.docx", docx_members()).read_bytes()
    members = docx_members()
    members.append(("word/embeddings/Microsoft_Word_Document.docx", inner))
    src = write_zip(tmp_path / "outer.docx", members)
    dst = tmp_path / "out.docx"
    rc, out, err = scrub("ooxml", src, dst)
    assert rc == 0, out + err
    nested = members_of(dst)["word/embeddings/Microsoft_Word_Document.docx"][1]
    (tmp_path / "nested.docx").write_bytes(nested)
    assert has_canary(tmp_path / "nested.docx") is None
    assert has_canary(dst) is None


def test_unknown_embedded_kept_and_reported(tmp_path):
    members = docx_members()
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    members.append(("word/embeddings/oleObject1.bin", ole))
    src = write_zip(tmp_path / "in.docx", members)
    rc, out, err = scrub("ooxml", src, tmp_path / "out.docx")
    assert rc == 0, out + err
    assert "not-checked: embedded OLE objects" in out
    assert members_of(tmp_path / "out.docx")["word/embeddings/oleObject1.bin"][1] == ole


class _NoSeek(io.RawIOBase):
    """A stream zipfile cannot seek back in: it writes data descriptors."""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)


@pytest.mark.parametrize("how", ["data-descriptors", "zip64"])
def test_other_zip_writers_accepted(how, tmp_path):
    """Java and streaming writers use data descriptors, big files Zip64
    headers: both are read, and the output has neither."""
    stream = _NoSeek()
    target = stream if how == "data-descriptors" else tmp_path / "in.docx"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in docx_members():
            with z.open(name, "w", force_zip64=how == "zip64") as f:
                f.write(data.encode() if isinstance(data, str) else data)
    src = tmp_path / "in.docx"
    if how == "data-descriptors":
        src.write_bytes(bytes(stream.data))
    assert has_canary(src)
    dst = tmp_path / "out.docx"
    rc, out, err = scrub("ooxml", src, dst)
    assert rc == 0, out + err
    assert has_canary(dst) is None
    for info, _ in members_of(dst).values():
        assert info.flag_bits & 0x08 == 0 and info.extra == b""
    check_package(dst, True)


# ---- hostile input ----

def refused(family, src, tmp_path, code=None):
    rc, out, err = scrub(family, src, tmp_path / "out")
    assert rc == 1, out + err
    assert "refused: " in out, out
    assert "AddressSanitizer" not in err and "runtime error" not in err, err
    if code:
        assert code in err, err
    return out


def minimal_docx(document_xml):
    return [
        ("[Content_Types].xml", types_xml([("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")])),
        ("_rels/.rels", rels_xml([("officeDocument", "word/document.xml")])),
        ("word/document.xml", document_xml),
    ]


def test_minimal_docx_ok(tmp_path):
    src = write_zip(tmp_path / "in.docx", minimal_docx(DECL + f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>a &amp; b &lt; c "d" &#10;</w:t></w:r></w:p></w:body></w:document>'), canary_zip=False)
    rc, out, err = scrub("ooxml", src, tmp_path / "out.docx")
    assert rc == 0, out + err
    doc = members_of(tmp_path / "out.docx")["word/document.xml"][1]
    assert ET.fromstring(doc).find(f".//{{{W}}}t").text == 'a & b < c "d" \n'


def test_billion_laughs_refused(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">'
            + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
            + f']><w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&j;</w:t></w:r></w:p></w:body></w:document>')
    src = write_zip(tmp_path / "in.docx", minimal_docx(bomb), canary_zip=False)
    out = refused("ooxml", src, tmp_path, "invalid input")
    assert "document type declaration" in out


def test_xxe_refused(tmp_path):
    xxe = (f'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>')
    src = write_zip(tmp_path / "in.docx", minimal_docx(xxe), canary_zip=False)
    refused("ooxml", src, tmp_path)
    # Even an external DTD with no internal subset.
    ext = (f'<?xml version="1.0"?><!DOCTYPE w:document SYSTEM "http://127.0.0.1:9/x.dtd">'
           f'<w:document xmlns:w="{W}"/>')
    src = write_zip(tmp_path / "in2.docx", minimal_docx(ext), canary_zip=False)
    refused("ooxml", src, tmp_path)


def test_deep_nesting_refused(tmp_path):
    deep = f'<w:document xmlns:w="{W}">' + "<w:p>" * 5000 + "</w:p>" * 5000 + "</w:document>"
    src = write_zip(tmp_path / "in.docx", minimal_docx(deep), canary_zip=False)
    out = refused("ooxml", src, tmp_path, "too big")
    assert "nested too deeply" in out


def test_not_well_formed_refused(tmp_path):
    src = write_zip(tmp_path / "in.docx", minimal_docx(f'<w:document xmlns:w="{W}"><w:body>'), canary_zip=False)
    refused("ooxml", src, tmp_path, "invalid input")
    src = write_zip(tmp_path / "in2.docx", minimal_docx('<x:document><x:body/></x:document>'), canary_zip=False)
    refused("ooxml", src, tmp_path, "invalid input")


def test_zip_bomb_ratio_refused(tmp_path):
    members = minimal_docx(DECL + f'<w:document xmlns:w="{W}"/>')
    members.append(("word/media/zeros.bin", b"\0" * (64 << 20)))
    src = write_zip(tmp_path / "in.docx", members, canary_zip=False)
    assert src.stat().st_size < 1 << 20
    out = refused("ooxml", src, tmp_path, "too big")
    assert "expands too much" in out


def patch_sizes(data, name, usize):
    """Sets the uncompressed size of member `name` in both its headers."""
    data = bytearray(data)
    n = name.encode()
    lh = data.find(b"PK\3\4" + data[4:4])  # first local header
    while lh >= 0:
        ln = struct.unpack_from("<H", data, lh + 26)[0]
        if data[lh + 30:lh + 30 + ln] == n:
            struct.pack_into("<I", data, lh + 22, usize)
        lh = data.find(b"PK\3\4", lh + 4)
    ch = data.find(b"PK\1\2")
    while ch >= 0:
        ln = struct.unpack_from("<H", data, ch + 28)[0]
        if data[ch + 46:ch + 46 + ln] == n:
            struct.pack_into("<I", data, ch + 24, usize)
        ch = data.find(b"PK\1\2", ch + 4)
    return bytes(data)


def test_zip_bomb_lying_size_refused(tmp_path):
    members = minimal_docx(DECL + f'<w:document xmlns:w="{W}"/>')
    members.append(("word/media/zeros.bin", b"\0" * (8 << 20)))
    src = write_zip(tmp_path / "in.docx", members, canary_zip=False)
    src.write_bytes(patch_sizes(src.read_bytes(), "word/media/zeros.bin", 1000))
    out = refused("ooxml", src, tmp_path)
    assert "more data than its header says" in out


def test_too_many_entries_refused(tmp_path):
    members = minimal_docx(DECL + f'<w:document xmlns:w="{W}"/>')
    src = tmp_path / "in.docx"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            z.writestr(name, data)
        for i in range(100001):
            z.writestr(f"m/{i}", b"")
    out = refused("ooxml", src, tmp_path, "too big")
    assert "too many files" in out


@pytest.mark.parametrize("bad", ["../evil.xml", "word/../../evil.xml", "/etc/evil.xml",
                                 "word\\..\\evil.xml", "C:/evil.xml", "word/./document.xml",
                                 "WORD/DOCUMENT.XML"])
def test_bad_member_names_refused(bad, tmp_path):
    members = minimal_docx(DECL + f'<w:document xmlns:w="{W}"/>')
    members.append((bad, "<x/>"))
    src = write_zip(tmp_path / "in.docx", members, canary_zip=False)
    refused("ooxml", src, tmp_path, "invalid input")


def test_lying_central_directory_refused(tmp_path):
    members = minimal_docx(DECL + f'<w:document xmlns:w="{W}"/>')
    good = write_zip(tmp_path / "good.docx", members, canary_zip=False).read_bytes()
    eocd = good.rfind(b"PK\5\6")
    # More entries than there are.
    more = bytearray(good)
    struct.pack_into("<HH", more, eocd + 8, 4, 4)
    (tmp_path / "a.docx").write_bytes(more)
    refused("ooxml", tmp_path / "a.docx", tmp_path)
    # The directory somewhere else.
    moved = bytearray(good)
    struct.pack_into("<I", moved, eocd + 16, struct.unpack_from("<I", good, eocd + 16)[0] - 7)
    (tmp_path / "b.docx").write_bytes(moved)
    refused("ooxml", tmp_path / "b.docx", tmp_path)
    # A central name that is not the local one.
    renamed = good.replace(b"PK\1\2", b"PK\1\2", 1)
    ch = renamed.find(b"PK\1\2")
    ln = struct.unpack_from("<H", renamed, ch + 28)[0]
    renamed = renamed[:ch + 46] + b"X" * ln + renamed[ch + 46 + ln:]
    (tmp_path / "c.docx").write_bytes(renamed)
    refused("ooxml", tmp_path / "c.docx", tmp_path)


def test_truncated_and_polyglot_refused(tmp_path):
    good = write_zip(tmp_path / "good.docx", docx_members()).read_bytes()
    for i, data in enumerate([good[: len(good) // 2], good[:-1],
                              b"\xff\xd8\xff\xe0" + b"\0" * 100 + good,
                              good + b"trailing junk", b"PK\3\4" + b"\0" * 40]):
        p = tmp_path / f"bad{i}.docx"
        p.write_bytes(data)
        refused("ooxml", p, tmp_path)


def test_encrypted_odf_refused(tmp_path):
    members = odf_members("text")
    members = [(n, d.replace("<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>",
                             '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="AAAA"/></manifest:file-entry>')
                if n == "META-INF/manifest.xml" else d) for n, d in members]
    src = write_zip(tmp_path / "in.odt", members)
    out = refused("odf", src, tmp_path, "not supported")
    assert "password-protected" in out


def test_odf_without_manifest_or_bad_mimetype_refused(tmp_path):
    members = [m for m in odf_members("text") if m[0] != "META-INF/manifest.xml"]
    refused("odf", write_zip(tmp_path / "a.odt", members), tmp_path)
    members = [(n, "application/x-canary" if n == "mimetype" else d) for n, d in odf_members("text")]
    refused("odf", write_zip(tmp_path / "b.odt", members), tmp_path)


def test_wrong_family_refused(tmp_path):
    src = write_zip(tmp_path / "in.odt", odf_members("text"))
    refused("ooxml", src, tmp_path)
    src = write_zip(tmp_path / "in.docx", docx_members())
    refused("odf", src, tmp_path)
