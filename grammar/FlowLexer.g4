// FlowLexer.g4 - tokens of the Flow language (LANGUAGE.md §2).
lexer grammar FlowLexer;

channels { COMMENTS }

// Reserved words (LANGUAGE.md §2). After a dot they are ordinary names; the parser's
// `memberName` rule accepts them there.
MODULE: 'module';
IMPORT: 'import';
SERVICE: 'service';
EVENT: 'event';
ENUM: 'enum';
TABLE: 'table';
STREAM: 'stream';
ON: 'on';
EMIT: 'emit';
COMMAND: 'command';
QUERY: 'query';
REQUIRE: 'require';
ELSE: 'else';
IF: 'if';
FROM: 'from';
JOIN: 'join';
LEFT: 'left';
WITHIN: 'within';
WINDOW: 'window';
TUMBLING: 'tumbling';
HOPPING: 'hopping';
EVERY: 'every';
SESSION: 'session';
GAP: 'gap';
GRACE: 'grace';
GROUP: 'group';
BY: 'by';
SELECT: 'select';
WHERE: 'where';
ORDER: 'order';
LIMIT: 'limit';
KEY: 'key';
TEST: 'test';
GIVEN: 'given';
WHEN: 'when';
EXPECT: 'expect';
ACCEPTED: 'accepted';
REJECTED: 'rejected';
EMITTED: 'emitted';
EXISTS: 'exists';
COUNT: 'count';
AT: 'at';
ADVANCE: 'advance';
TIME: 'time';
MATCHES: 'matches';
UPCAST: 'upcast';
DESC: 'desc';
TRUE: 'true';
FALSE: 'false';
NONE: 'none';

// Literals. Their contents (escapes, ranges, calendar dates) are checked when the
// AST is built, so a bad literal gets a precise message rather than a token error.
TIMESTAMP: '@' [0-9][0-9][0-9][0-9] '-' [0-9][0-9] '-' [0-9][0-9] 'T' [0-9][0-9] ':' [0-9][0-9]
    ':' [0-9][0-9] ('.' [0-9]+)? 'Z';
DURATION: DIGITS ('us' | 'ms' | 's' | 'm' | 'h' | 'd');
FLOAT: DIGITS '.' DIGITS ([eE] [+-]? DIGITS)? | DIGITS [eE] [+-]? DIGITS;
INT: DIGITS;
STRING: '"' (ESCAPE | ~["\\\r\n])* '"';
// A string without its closing quote on the same line.
UNTERMINATED_STRING: '"' (ESCAPE | ~["\\\r\n])*;

ID: [A-Za-z_] [A-Za-z0-9_]*;

// Punctuation and operators.
ARROW: '->';
PLUS_ASSIGN: '+=';
MINUS_ASSIGN: '-=';
EQ: '==';
NE: '!=';
LE: '<=';
GE: '>=';
AND: '&&';
OR: '||';
LT: '<';
GT: '>';
ASSIGN: '=';
PLUS: '+';
MINUS: '-';
STAR: '*';
SLASH: '/';
PERCENT: '%';
BANG: '!';
QUESTION: '?';
LPAREN: '(';
RPAREN: ')';
LBRACE: '{';
RBRACE: '}';
LBRACK: '[';
RBRACK: ']';
COMMA: ',';
SEMI: ';';
COLON: ':';
DOT: '.';

LINE_COMMENT: '//' ~[\r\n]* -> channel(COMMENTS);
BLOCK_COMMENT: '/*' .*? '*/' -> channel(COMMENTS);
// A block comment that runs to the end of the file.
UNTERMINATED_COMMENT: '/*' (~'*' | '*'+ ~[*/])* '*'* EOF;
WS: [ \t\r\n\f]+ -> skip;

// Anything else is one bad character; the parser reports it with its position.
BAD_CHAR: .;

fragment DIGITS: [0-9]+;
fragment ESCAPE: '\\' .;
