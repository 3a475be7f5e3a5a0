// FlowParser.g4 - the syntax of the Flow language (LANGUAGE.md §2-§5).
//
// The grammar accepts a little more than the language (any expression where a
// constant is expected, `key` on any field, a statement named by an identifier);
// compiler/parse and compiler/sema narrow it with precise diagnostics.
parser grammar FlowParser;

options { tokenVocab = FlowLexer; }

file: moduleDecl? importDecl* topDecl* EOF;

moduleDecl: MODULE ident SEMI;
importDecl: IMPORT STRING SEMI;

topDecl: serviceDecl | testDecl | builtinDecl;

// `builtin name(params) -> type;` declares a standard library function. Accepted
// only in the embedded stdlib/ files.
builtinDecl: ID ident LPAREN paramList? RPAREN ARROW typeRef SEMI;

serviceDecl: SERVICE ident LBRACE member* RBRACE;

member
    : enumDecl
    | eventDecl
    | upcastDecl
    | tableDecl
    | streamDecl
    | commandDecl
    | queryDecl
    | reactionDecl
    | testDecl
    ;

enumDecl: ENUM ident LBRACE (ident (COMMA ident)* COMMA?)? RBRACE;

eventDecl: EVENT ident version? LBRACE fieldDecl* RBRACE;
version: ID;
fieldDecl: KEY? ident COLON typeRef (ASSIGN expr)? SEMI;

upcastDecl: UPCAST ident version ARROW version block;

tableDecl
    : TABLE ident KEY param (COMMA param)* LBRACE tableItem* RBRACE # foldTable
    | TABLE ident ASSIGN query SEMI                                 # viewTable
    ;
tableItem: fieldDecl | handlerDecl;
handlerDecl: ON qualifiedName ident? (BY expr (COMMA expr)*)? block;

streamDecl: STREAM ident ASSIGN query SEMI;

commandDecl: COMMAND ident LPAREN paramList? RPAREN block;
paramList: param (COMMA param)*;
param: ident COLON typeRef;

queryDecl: QUERY ident LPAREN paramList? RPAREN ASSIGN (query | expr) SEMI;

reactionDecl: ON qualifiedName ident? block;

typeRef: qualifiedName QUESTION?;

// Queries: the shared form of view tables, streams and queries.
query
    : FROM source joinClause* whereClause? windowClause? groupByClause? selectClause?
        orderClause? limitClause?
    ;
source: qualifiedName ident?;
joinClause: LEFT? JOIN source ON expr (WITHIN expr)?;
whereClause: WHERE expr;
windowClause
    : WINDOW (TUMBLING expr | HOPPING expr EVERY expr | SESSION GAP expr) (GRACE expr)?
    ;
groupByClause: GROUP BY expr (COMMA expr)*;
selectClause: SELECT LBRACE (selectItem (COMMA selectItem)* COMMA?)? RBRACE;
selectItem: KEY? ident (COLON expr)?;
orderClause: ORDER BY expr DESC?;
limitClause: LIMIT expr;

// Statements.
block: LBRACE stmt* RBRACE;
stmt
    : IF expr block (ELSE (ifElse = stmt | elseBlock = block))? # ifStmt
    | REQUIRE expr ELSE expr SEMI                              # requireStmt
    | EMIT qualifiedName recordLit SEMI                        # emitStmt
    | ident op = (ASSIGN | PLUS_ASSIGN | MINUS_ASSIGN) expr SEMI # assignStmt
    | ident SEMI                                               # wordStmt
    ;

recordLit: LBRACE (fieldInit (COMMA fieldInit)* COMMA?)? RBRACE;
fieldInit: ident (COLON expr)?;

// Expressions, from the tightest binding to the loosest.
expr
    : primary                                       # primaryExpr
    | expr DOT memberName                           # memberExpr
    | expr LBRACK expr (COMMA expr)* RBRACK         # indexExpr
    | expr LPAREN (expr (COMMA expr)*)? RPAREN      # callExpr
    | expr MATCHES recordLit                        # matchesExpr
    | op = (BANG | MINUS) expr                      # unaryExpr
    | EXISTS expr                                   # existsExpr
    | expr op = (STAR | SLASH | PERCENT) expr       # binaryExpr
    | expr op = (PLUS | MINUS) expr                 # binaryExpr
    | expr op = (LT | LE | GT | GE) expr            # binaryExpr
    | expr op = (EQ | NE) expr                      # binaryExpr
    | expr op = AND expr                            # binaryExpr
    | expr op = OR expr                             # binaryExpr
    ;

primary
    : INT                  # intLit
    | FLOAT                # floatLit
    | STRING               # stringLit
    | (TRUE | FALSE)       # boolLit
    | NONE                 # noneLit
    | DURATION             # durationLit
    | TIMESTAMP            # timestampLit
    | ident                # nameRef
    | COUNT                # countRef
    | WINDOW               # windowRef
    | LPAREN expr RPAREN   # parenExpr
    ;

// Tests (LANGUAGE.md §5).
testDecl: TEST STRING LBRACE testStep* RBRACE;
testStep
    : GIVEN qualifiedName version? recordLit (AT expr)? SEMI                      # givenStep
    | WHEN qualifiedName recordLit (EXPECT (ACCEPTED | REJECTED STRING?))? SEMI  # whenStep
    | EXPECT EMITTED qualifiedName recordLit? (COUNT expr)? SEMI                 # expectEmittedStep
    | EXPECT expr SEMI                                                           # expectStep
    | ADVANCE TIME expr SEMI                                                     # advanceStep
    ;

qualifiedName: ident (DOT memberName)*;
ident: ID;
// After a dot, reserved words are ordinary names (`e.time`, `window.start`).
memberName
    : ID | MODULE | IMPORT | SERVICE | EVENT | ENUM | TABLE | STREAM | ON | EMIT | COMMAND
    | QUERY | REQUIRE | ELSE | IF | FROM | JOIN | LEFT | WITHIN | WINDOW | TUMBLING | HOPPING
    | EVERY | SESSION | GAP | GRACE | GROUP | BY | SELECT | WHERE | ORDER | LIMIT | KEY | TEST
    | GIVEN | WHEN | EXPECT | ACCEPTED | REJECTED | EMITTED | EXISTS | COUNT | AT | ADVANCE
    | TIME | MATCHES | UPCAST | DESC | TRUE | FALSE | NONE
    ;
