#!/usr/bin/env python3
"""Fails when public API declared in SocketIpc's headers has no entry in the QDoc index.

QDoc 6.4 leaves an undocumented member out of the reference without a warning. This check
closes that gap: clang lists what the public headers declare (classes, public and protected
functions, signals and slots, enums and their values, constants, type aliases), moc's
metatypes add the properties, and each must be in socketipc.index, which holds only what was
documented. Overloads count: two declarations of a name need two documented entries.

usage: check_documented.py INDEX METATYPES CLANG UMBRELLA_HEADER SOURCE_DIR -I... [-I...]
"""
import collections, json, subprocess, sys
import xml.etree.ElementTree as ET

index, metatypes, clang, umbrella, source_dir = sys.argv[1:6]
includes = sys.argv[6:]

# What the headers declare.
ast_text = subprocess.run(
    [clang, '-x', 'c++', '-std=c++17', '-fPIC', '-fsyntax-only', '-Xclang', '-ast-dump=json',
     '-Xclang', '-ast-dump-filter=Ipc', *includes, umbrella],
    check=True, capture_output=True, text=True).stdout
decoder, pos, tops = json.JSONDecoder(), 0, []
while pos < len(ast_text):
    while pos < len(ast_text) and ast_text[pos].isspace():
        pos += 1
    if pos >= len(ast_text):
        break
    node, pos = decoder.raw_decode(ast_text, pos)
    tops.append(node)

def in_our_headers(node):
    loc = node.get('loc', {})
    f = loc.get('file') or loc.get('spellingLoc', {}).get('file') or loc.get('expansionLoc', {}).get('file')
    return f is None or f.startswith(source_dir + '/src/socketipc/')

MOC = {'metaObject', 'qt_metacast', 'qt_metacall', 'qt_static_metacall', 'tr', 'trUtf8',
       'staticMetaObject', 'qt_check_for_QGADGET_macro', 'QtGadgetHelper', 'd_func'}
declared = collections.Counter()
seen_ids = set()

def walk_record(record, scope):
    access = 'private' if record.get('tagUsed') == 'class' else 'public'
    for child in record.get('inner', []):
        kind = child.get('kind')
        if kind == 'AccessSpecDecl':
            access = child.get('access'); continue
        if access == 'private' or child.get('isImplicit') or not in_our_headers(child):
            continue
        name = child.get('name', '')
        if not name or name in MOC or name.startswith('qt_'):
            continue
        if kind == 'FunctionTemplateDecl':
            inner = [c for c in child.get('inner', []) if c.get('kind') in ('CXXMethodDecl', 'CXXConstructorDecl')]
            if inner and not inner[0].get('explicitlyDeleted'):
                declared[scope + '::' + name] += 1
        elif kind in ('CXXMethodDecl', 'CXXConstructorDecl', 'CXXDestructorDecl'):
            if not child.get('explicitlyDeleted'):
                declared[scope + '::' + name] += 1
        elif kind == 'EnumDecl':
            declared[scope + '::' + name] += 1
            for item in child.get('inner', []):
                if item.get('kind') == 'EnumConstantDecl':
                    declared['value ' + scope + '::' + item['name']] += 1
        elif kind in ('VarDecl', 'TypeAliasDecl', 'TypedefDecl'):
            declared[scope + '::' + name] += 1
        elif kind == 'CXXRecordDecl' and child.get('completeDefinition'):
            declared[scope + '::' + name] += 1
            walk_record(child, scope + '::' + name)

for top in tops:
    if top.get('id') in seen_ids or not in_our_headers(top):
        continue
    seen_ids.add(top.get('id'))
    if top.get('kind') == 'CXXRecordDecl' and top.get('completeDefinition') and top.get('name', '').startswith('Ipc'):
        declared[top['name']] += 1
        walk_record(top, top['name'])
    elif top.get('kind') == 'NamespaceDecl' and top.get('name', '') == 'IpcPrivate':
        pass  # the templates' helpers, public only for the inline code that calls them
    elif top.get('kind') == 'NamespaceDecl' and top.get('name', '').startswith('Ipc'):
        declared[top['name']] += 1
        for child in top.get('inner', []):
            if child.get('kind') == 'EnumDecl' and child.get('name'):
                declared[top['name'] + '::' + child['name']] += 1
                for item in child.get('inner', []):
                    if item.get('kind') == 'EnumConstantDecl':
                        declared['value ' + top['name'] + '::' + item['name']] += 1

# Properties, from moc.
for entry in json.load(open(metatypes)):
    for cls in entry.get('classes', []):
        if cls.get('className', '').startswith('Ipc') and entry.get('inputFile', '').startswith('ipc'):
            for prop in cls.get('properties', []):
                declared['property ' + cls['className'] + '::' + prop['name']] += 1

# What the reference documents.
documented = collections.Counter()
for node in ET.parse(index).getroot().iter():
    full = node.get('fullname') or (node.get('name') if node.tag in ('class', 'namespace') else None)
    if not full or node.get('status') == 'internal':
        continue
    if node.tag == 'property':
        documented['property ' + full] += 1
    elif node.tag == 'enum':
        documented[full] += 1
        scope = full.rsplit('::', 1)[0]
        for value in node.iter('value'):
            documented['value ' + scope + '::' + value.get('name')] += 1
            documented['value ' + full + '::' + value.get('name')] += 1
    elif node.tag in ('function', 'class', 'struct', 'namespace', 'variable', 'typedef', 'typealias'):
        documented[full] += 1

missing = []
for name, count in sorted(declared.items()):
    have = documented.get(name, 0)
    if have < count:
        missing.append(f'{name}' + (f' ({count} declared, {have} documented)' if count > 1 else ''))
if missing:
    print('Public API without a reference entry (document it with QDoc):')
    for m in missing:
        print('  ' + m)
    sys.exit(1)
print(f'All {sum(declared.values())} public declarations are documented.')
