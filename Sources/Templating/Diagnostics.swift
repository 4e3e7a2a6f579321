import Basics

/// The diagnostic codes Templating reports: each means one thing (the README lists them all).
extension DiagnosticCode {
    public static let envVar = DiagnosticCode("C2002", "env_var() without a name, or of a variable that is not set and has no default")
    public static let secretEnvVar = DiagnosticCode("C2006", "env_var() of a secret variable (DBT_ENV_SECRET_*, STRATA_ENV_SECRET_*) outside profiles.yml")
    public static let templateLexing = DiagnosticCode("T1001", "a template cannot be tokenized (an unterminated tag, string or comment)")
    public static let templateSyntax = DiagnosticCode("T1002", "a template statement or expression is not valid Jinja")
    public static let unclosedBlock = DiagnosticCode("T1003", "a block statement ({% if %}, {% for %}, {% macro %}, …) is never closed")
    public static let unsupportedStatement = DiagnosticCode("T1004", "a Jinja statement Strata does not support yet")
    public static let duplicateMacro = DiagnosticCode("T1010", "a macro is defined twice")
    public static let templateError = DiagnosticCode("T2001", "an error raised while rendering, by a template function")
    public static let undefinedName = DiagnosticCode("T2002", "a name is not defined (with a did-you-mean)")
    public static let notIterable = DiagnosticCode("T2003", "a for loop over a value that cannot be iterated")
    public static let notCallable = DiagnosticCode("T2004", "a call of a value that is not a function or macro")
    public static let wrongArguments = DiagnosticCode("T2005", "a function, filter or macro called with missing, extra or invalid arguments")
    public static let recursionLimit = DiagnosticCode("T2006", "macros nested deeper than the recursion limit")
    public static let noAttribute = DiagnosticCode("T2007", "an attribute that a value does not have")
    public static let wrongType = DiagnosticCode("T2008", "an operation on a value of the wrong type, or an arithmetic error (division by zero)")
    public static let noSuchItem = DiagnosticCode("T2009", "an index or key that does not exist, or an item not in a list")
    public static let unknownTest = DiagnosticCode("T2010", "an unknown Jinja test (`is …`)")
    public static let undefinedRendered = DiagnosticCode("T2012", "an undefined name or missing macro argument rendered as empty text, as dbt's Jinja does (warning)")
    public static let unknownFilter = DiagnosticCode("T2011", "an unknown filter")
}
