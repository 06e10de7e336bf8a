//! From a document to a plan: the operation chosen, its variables coerced, fragments inlined with
//! their type conditions, `@include`/`@skip` applied, and every field and argument checked
//! against the schema. What fails is reported as Shopify (graphql-ruby) words it, with the
//! operation's name first in `path`; nothing runs then, and nothing is charged.

use std::collections::{BTreeSet, HashMap};

use graphql_parser::query::{
    self as q, Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet, TypeCondition,
};
use serde_json::{Map, Value};

use super::{
    out::{GqlError, Out, Step},
    schema::{named, non_null, Args, FieldDef, InputDef, Kind, Schema, Type, SCHEMA},
};

type QValue<'a> = q::Value<'a, String>;

/// Shopify's limit on the items of one input array (USAGE limits).
const MAX_INPUT_ARRAY: usize = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Query,
    Mutation,
}

/// A field to resolve: what it is called in the answer, what it asks for, and where.
#[derive(Debug, Clone)]
pub struct PField {
    pub key: String,
    pub name: String,
    pub args: Args,
    pub line: usize,
    pub column: usize,
    /// Fragment type conditions the object must meet for the field to apply.
    pub conds: Vec<String>,
    pub children: Vec<PField>,
}

impl PField {
    pub fn arg_i64(&self, name: &str) -> Option<i64> {
        self.args.get(name).and_then(Value::as_i64)
    }

    pub fn arg_str(&self, name: &str) -> Option<&str> {
        self.args.get(name).and_then(Value::as_str)
    }

    pub fn arg_bool(&self, name: &str) -> Option<bool> {
        self.args.get(name).and_then(Value::as_bool)
    }

    /// Whether the field applies to an object of concrete type `object`.
    pub fn applies_to(&self, object: &str) -> bool {
        self.conds.iter().all(|c| SCHEMA.fits(object, c))
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub kind: OpKind,
    pub root: String,
    pub fields: Vec<PField>,
}

/// Parses and checks `text`; the errors are the answer when it fails.
pub fn plan(text: &str, operation_name: Option<&str>, variables: &Value, version: &str) -> Result<Plan, Vec<GqlError>> {
    let doc = q::parse_query::<String>(text).map_err(|e| vec![parse_error(&e.to_string())])?;
    Planner::new(&doc, version).plan(operation_name, variables)
}

/// graphql-ruby's words for a syntax error, from graphql-parser's report.
fn parse_error(report: &str) -> GqlError {
    let position = report.split("Parse error at ").nth(1).and_then(|rest| {
        let head = rest.split_whitespace().next()?;
        let (line, column) = head.split_once(':')?;
        Some((line.parse::<usize>().ok()?, column.parse::<usize>().ok()?))
    });
    let unexpected = report.lines().find_map(|l| l.strip_prefix("Unexpected ")).unwrap_or_default();
    let token = unexpected.trim_start_matches('`').split('[').next().unwrap_or_default().trim_end_matches('`');
    let kind = match token {
        "{" => "LCURLY",
        "}" => "RCURLY",
        "(" => "LPAREN",
        ")" => "RPAREN",
        "[" => "LBRACKET",
        "]" => "RBRACKET",
        ":" => "COLON",
        "$" => "VAR_SIGN",
        "!" => "BANG",
        "=" => "EQUALS",
        "@" => "DIR_SIGN",
        "..." => "ELLIPSIS",
        "|" => "PIPE",
        t if t.starts_with('"') => "STRING",
        t if t.parse::<i64>().is_ok() => "INT",
        t if t.parse::<f64>().is_ok() => "FLOAT",
        _ => "IDENTIFIER",
    };
    let (line, column) = position.unwrap_or((1, 1));
    let message = if unexpected.starts_with("end of input") || token.is_empty() {
        "Unexpected end of document".to_owned()
    } else {
        format!("Parse error on \"{}\" ({kind}) at [{line}, {column}]", token.trim_matches('"'))
    };
    GqlError::new(message).at(line, column)
}

struct Planner<'d, 'a> {
    schema: &'static Schema,
    version: &'d str,
    fragments: HashMap<&'d str, &'d FragmentDefinition<'a, String>>,
    doc: &'d Document<'a, String>,
    errors: Vec<GqlError>,
    /// Declared variables: type, and the coerced value if one was given or defaulted.
    variables: HashMap<String, (Type, Option<Value>, bool)>,
    used: BTreeSet<String>,
    operation_label: String,
}

impl<'d, 'a> Planner<'d, 'a> {
    fn new(doc: &'d Document<'a, String>, version: &'d str) -> Planner<'d, 'a> {
        let fragments = doc
            .definitions
            .iter()
            .filter_map(|d| match d {
                Definition::Fragment(f) => Some((f.name.as_str(), f)),
                _ => None,
            })
            .collect();
        Planner {
            schema: &SCHEMA,
            version,
            fragments,
            doc,
            errors: Vec::new(),
            variables: HashMap::new(),
            used: BTreeSet::new(),
            operation_label: "query".into(),
        }
    }

    fn plan(mut self, operation_name: Option<&str>, variables: &Value) -> Result<Plan, Vec<GqlError>> {
        let operations: Vec<&OperationDefinition<'a, String>> = self
            .doc
            .definitions
            .iter()
            .filter_map(|d| match d {
                Definition::Operation(op) => Some(op),
                Definition::Fragment(_) => None,
            })
            .collect();
        let name_of = |op: &OperationDefinition<'a, String>| -> Option<String> {
            match op {
                OperationDefinition::SelectionSet(_) => None,
                OperationDefinition::Query(q) => q.name.clone(),
                OperationDefinition::Mutation(m) => m.name.clone(),
                OperationDefinition::Subscription(s) => s.name.clone(),
            }
        };
        let operation = match operation_name.filter(|n| !n.is_empty()) {
            Some(wanted) => match operations.iter().find(|op| name_of(op).as_deref() == Some(wanted)) {
                Some(op) => *op,
                None => return Err(vec![GqlError::new(format!("No operation named \"{wanted}\""))]),
            },
            None if operations.len() == 1 => operations[0],
            None if operations.is_empty() => {
                return Err(vec![GqlError::new("No operations in query document")]);
            }
            None => return Err(vec![GqlError::new("An operation name is required")]),
        };
        let (kind, var_defs, directives, selection, position, word) = match operation {
            OperationDefinition::SelectionSet(set) => (OpKind::Query, &[][..], &[][..], set, set.span.0, "query"),
            OperationDefinition::Query(q) => {
                (OpKind::Query, &q.variable_definitions[..], &q.directives[..], &q.selection_set, q.position, "query")
            }
            OperationDefinition::Mutation(m) => (
                OpKind::Mutation,
                &m.variable_definitions[..],
                &m.directives[..],
                &m.selection_set,
                m.position,
                "mutation",
            ),
            OperationDefinition::Subscription(s) => {
                return Err(vec![
                    GqlError::new("Schema is not configured for subscriptions").at(s.position.line, s.position.column)
                ]);
            }
        };
        self.operation_label = match name_of(operation) {
            Some(name) => format!("{word} {name}"),
            None => word.to_owned(),
        };
        if let Some(directive) = directives.first() {
            let message = format!("'@{}' can't be applied to {word}s (allowed: fields)", directive.name);
            self.errors.push(
                GqlError::new(message)
                    .at(directive.position.line, directive.position.column)
                    .path(vec![Step::Key(self.operation_label.clone())])
                    .code("directiveCannotBeApplied"),
            );
        }
        let root = match kind {
            OpKind::Query => self.schema.query.clone(),
            OpKind::Mutation => self.schema.mutation.clone(),
        };
        let mut value_errors = Vec::new();
        let provided = variables.as_object().cloned().unwrap_or_default();
        for def in var_defs {
            let ty: Type = def.var_type.clone().into_static_type();
            if self
                .schema
                .get(named(&ty))
                .is_none_or(|t| matches!(t.kind, Kind::Object | Kind::Interface | Kind::Union))
            {
                let error = GqlError::new(format!("{} isn't a valid input type (on ${})", ty, def.name))
                    .at(def.position.line, def.position.column)
                    .path(vec![Step::Key(self.operation_label.clone())])
                    .code("variableRequiresValidType");
                self.errors.push(error);
                continue;
            }
            let given = provided.get(&def.name);
            let value = match (given, &def.default_value) {
                (Some(value), _) => Some(value.clone()),
                (None, Some(default)) => self.coerce_literal(default, &ty).unwrap_or_default(),
                (None, None) => None,
            };
            let has_default = def.default_value.is_some();
            let coerced = match value {
                Some(value) if given.is_some() => match coerce_json(self.schema, &value, &ty, &mut Vec::new()) {
                    Ok(coerced) => Some(coerced),
                    Err(problem) => {
                        value_errors.push(variable_error(&def.name, &ty, &value, problem));
                        None
                    }
                },
                Some(value) => Some(value),
                None if non_null(&ty) => {
                    value_errors.push(variable_error(
                        &def.name,
                        &ty,
                        &Value::Null,
                        Problem { path: Vec::new(), explanation: "Expected value to not be null".into() },
                    ));
                    None
                }
                None => None,
            };
            self.variables.insert(def.name.clone(), (ty, coerced, has_default));
        }
        let path = vec![Step::Key(self.operation_label.clone())];
        let fields = self.selection(selection, &root, &path, &[], &mut Vec::new());
        for def in var_defs {
            if !self.used.contains(&def.name) {
                let message = format!("Variable ${} is declared by {} but not used", def.name, self.anonymous_label());
                self.errors.push(
                    GqlError::new(message)
                        .at(def.position.line, def.position.column)
                        .path(vec![Step::Key(self.operation_label.clone())])
                        .code("variableNotUsed")
                        .ext("variableName", Out::str(def.name.clone())),
                );
            }
        }
        let _ = position;
        let mut errors = self.errors;
        if errors.is_empty() {
            errors = value_errors;
        }
        dedupe(&mut errors);
        if errors.is_empty() {
            Ok(Plan { kind, root, fields })
        } else {
            Err(errors)
        }
    }

    fn anonymous_label(&self) -> String {
        if self.operation_label.contains(' ') {
            self.operation_label.clone()
        } else {
            format!("anonymous {}", self.operation_label)
        }
    }

    /// The fields of `set` on `parent`, fragments inlined; `conds` are the enclosing conditions,
    /// `spreading` the named fragments being expanded (against cycles).
    fn selection(
        &mut self,
        set: &SelectionSet<'a, String>,
        parent: &str,
        path: &[Step],
        conds: &[String],
        spreading: &mut Vec<String>,
    ) -> Vec<PField> {
        let mut fields = Vec::new();
        for item in &set.items {
            match item {
                Selection::Field(field) => {
                    if !self.included(&field.directives, path) {
                        continue;
                    }
                    if let Some(planned) = self.field(field, parent, path, conds, spreading) {
                        fields.push(planned);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    if !self.included(&fragment.directives, path) {
                        continue;
                    }
                    let condition = match &fragment.type_condition {
                        Some(TypeCondition::On(name)) => name.clone(),
                        None => parent.to_owned(),
                    };
                    let (line, column) = (fragment.position.line, fragment.position.column);
                    let inline_path = {
                        let mut p = path.to_vec();
                        p.push(Step::Key(format!("... on {condition}")));
                        p
                    };
                    if !self.condition_ok(&condition, parent, line, column, &inline_path, None) {
                        continue;
                    }
                    let mut inner = conds.to_vec();
                    if condition != parent {
                        inner.push(condition.clone());
                    }
                    fields.extend(self.selection(&fragment.selection_set, &condition, &inline_path, &inner, spreading));
                }
                Selection::FragmentSpread(spread) => {
                    if !self.included(&spread.directives, path) {
                        continue;
                    }
                    let name = spread.fragment_name.clone();
                    let (line, column) = (spread.position.line, spread.position.column);
                    let Some(fragment) = self.fragments.get(name.as_str()).copied() else {
                        self.errors.push(
                            GqlError::new(format!("Fragment {name} was used, but not defined"))
                                .at(line, column)
                                .path(path.to_vec())
                                .code("useAndDefineFragment")
                                .ext("fragmentName", Out::str(name.clone())),
                        );
                        continue;
                    };
                    if spreading.contains(&name) {
                        self.errors.push(
                            GqlError::new(format!("Fragment {name} contains an infinite loop"))
                                .at(line, column)
                                .path(path.to_vec())
                                .code("infiniteLoop")
                                .ext("fragmentName", Out::str(name.clone())),
                        );
                        continue;
                    }
                    let TypeCondition::On(condition) = &fragment.type_condition;
                    let fragment_path = vec![Step::Key(format!("fragment {name}"))];
                    let (fl, fc) = (fragment.position.line, fragment.position.column);
                    if !self.condition_ok(condition, parent, fl, fc, &fragment_path, Some((line, column, path))) {
                        continue;
                    }
                    let mut inner = conds.to_vec();
                    if condition != parent {
                        inner.push(condition.clone());
                    }
                    spreading.push(name);
                    fields.extend(self.selection(
                        &fragment.selection_set,
                        condition,
                        &fragment_path,
                        &inner,
                        spreading,
                    ));
                    spreading.pop();
                }
            }
        }
        fields
    }

    /// Checks a fragment's type condition: a known composite type that can overlap `parent`.
    fn condition_ok(
        &mut self,
        condition: &str,
        parent: &str,
        line: usize,
        column: usize,
        path: &[Step],
        spread: Option<(usize, usize, &[Step])>,
    ) -> bool {
        let Some(def) = self.schema.get(condition) else {
            self.errors.push(
                GqlError::new(format!("No such type {condition}, so it can't be a fragment condition"))
                    .at(line, column)
                    .path(path.to_vec())
                    .code("undefinedType")
                    .ext("typeName", Out::str(condition)),
            );
            return false;
        };
        if !matches!(def.kind, Kind::Object | Kind::Interface | Kind::Union) {
            self.errors.push(
                GqlError::new(format!("Invalid fragment on type {condition} (must be Union, Interface or Object)"))
                    .at(line, column)
                    .path(path.to_vec())
                    .code("fragmentOnNonCompositeType")
                    .ext("typeName", Out::str(condition)),
            );
            return false;
        }
        let ours = self.schema.concrete(condition);
        let theirs = self.schema.concrete(parent);
        if !ours.iter().any(|t| theirs.contains(t)) {
            let (line, column, path) = spread.unwrap_or((line, column, path));
            self.errors.push(
                GqlError::new(format!("Fragment on {condition} can't be spread inside {parent}"))
                    .at(line, column)
                    .path(path.to_vec())
                    .code("cannotSpreadFragment")
                    .ext("typeName", Out::str(condition))
                    .ext("parentName", Out::str(parent)),
            );
            return false;
        }
        true
    }

    /// `@include(if:)` and `@skip(if:)`; any other directive is unknown.
    fn included(&mut self, directives: &[q::Directive<'a, String>], path: &[Step]) -> bool {
        let mut keep = true;
        for directive in directives {
            let (line, column) = (directive.position.line, directive.position.column);
            let condition = directive.arguments.iter().find(|(k, _)| k == "if").map(|(_, v)| v);
            match directive.name.as_str() {
                "include" | "skip" => {
                    let boolean = Type::NonNullType(Box::new(Type::NamedType("Boolean".into())));
                    let value = condition.and_then(|v| self.coerce_literal(v, &boolean).ok().flatten());
                    match value.and_then(|v| v.as_bool()) {
                        Some(flag) => keep &= if directive.name == "include" { flag } else { !flag },
                        None => self.errors.push(
                            GqlError::new(format!("Directive '{}' is missing required arguments: if", directive.name))
                                .at(line, column)
                                .path(path.to_vec())
                                .code("missingRequiredArguments"),
                        ),
                    }
                }
                other => self.errors.push(
                    GqlError::new(format!("Directive @{other} is not defined"))
                        .at(line, column)
                        .path(path.to_vec())
                        .code("undefinedDirective")
                        .ext("directiveName", Out::str(other)),
                ),
            }
        }
        keep
    }

    fn field(
        &mut self,
        field: &q::Field<'a, String>,
        parent: &str,
        path: &[Step],
        conds: &[String],
        spreading: &mut Vec<String>,
    ) -> Option<PField> {
        let key = field.alias.clone().unwrap_or_else(|| field.name.clone());
        let (line, column) = (field.position.line, field.position.column);
        let mut here = path.to_vec();
        here.push(Step::Key(key.clone()));
        if field.name == "__typename" {
            if !field.selection_set.items.is_empty() {
                self.errors.push(scalar_selection(&field.name, "String", line, column, &here));
            }
            return Some(PField {
                key,
                name: field.name.clone(),
                args: Args::new(),
                line,
                column,
                conds: conds.to_vec(),
                children: Vec::new(),
            });
        }
        let parent_def = self.schema.of(parent);
        let def =
            parent_def.field(&field.name).filter(|f| f.since.as_deref().is_none_or(|since| self.version >= since));
        let Some(def) = def else {
            self.errors.push(
                GqlError::new(format!("Field '{}' doesn't exist on type '{parent}'", field.name))
                    .at(line, column)
                    .path(here)
                    .code("undefinedField")
                    .ext("typeName", Out::str(parent))
                    .ext("fieldName", Out::str(field.name.clone())),
            );
            return None;
        };
        let args = self.arguments(field, def, &here, line, column);
        let returns = named(&def.ty);
        let returns_def = self.schema.of(returns);
        let children = if returns_def.is_leaf() {
            if !field.selection_set.items.is_empty() {
                self.errors.push(scalar_selection(&field.name, &def.ty.to_string(), line, column, &here));
            }
            Vec::new()
        } else if field.selection_set.items.is_empty() {
            self.errors.push(
                GqlError::new(format!(
                    "Field must have selections (field '{}' returns {} but has no selections. Did you mean '{} {{ ... }}'?)",
                    field.name, def.ty, field.name
                ))
                .at(line, column)
                .path(here.clone())
                .code("selectionMismatch")
                .ext("nodeName", Out::str(format!("field '{}'", field.name))),
            );
            Vec::new()
        } else {
            self.selection(&field.selection_set, returns, &here, &[], spreading)
        };
        Some(PField {
            key,
            name: field.name.clone(),
            args: args.unwrap_or_default(),
            line,
            column,
            conds: conds.to_vec(),
            children,
        })
    }

    /// The field's arguments, coerced, with the schema's defaults for those not given.
    fn arguments(
        &mut self,
        field: &q::Field<'a, String>,
        def: &FieldDef,
        path: &[Step],
        line: usize,
        column: usize,
    ) -> Option<Args> {
        let mut args = Args::new();
        let mut ok = true;
        for (name, value) in &field.arguments {
            let mut arg_path = path.to_vec();
            arg_path.push(Step::Key(name.clone()));
            let Some(arg) = def.arg(name) else {
                self.errors.push(
                    GqlError::new(format!("Field '{}' doesn't accept argument '{name}'", field.name))
                        .at(line, column)
                        .path(arg_path)
                        .code("argumentNotAccepted")
                        .ext("name", Out::str(field.name.clone()))
                        .ext("typeName", Out::str("Field"))
                        .ext("argumentName", Out::str(name.clone())),
                );
                ok = false;
                continue;
            };
            match self.coerce_literal(value, &arg.ty) {
                Ok(Some(coerced)) => {
                    if let Some(size) = coerced.as_array().map(Vec::len).filter(|n| *n > MAX_INPUT_ARRAY) {
                        self.errors.push(
                            GqlError::new(format!(
                                "The input array size of {size} is greater than the maximum allowed of {MAX_INPUT_ARRAY}."
                            ))
                            .at(line, column)
                            .path(arg_path)
                            .code("MAX_INPUT_SIZE_EXCEEDED"),
                        );
                        ok = false;
                        continue;
                    }
                    args.insert(name.clone(), coerced);
                }
                Ok(None) => {}
                Err(LiteralError::Invalid(shown, expected)) => {
                    let message = if let Some(id) = invalid_gid(&shown, &expected) {
                        self.errors.push(
                            GqlError::new(format!("Invalid global id '{id}'"))
                                .at(line, column)
                                .path(arg_path)
                                .code("argumentLiteralsIncompatible")
                                .ext("typeName", Out::str("CoercionError")),
                        );
                        ok = false;
                        continue;
                    } else {
                        format!(
                            "Argument '{name}' on Field '{}' has an invalid value ({shown}). Expected type '{expected}'.",
                            field.name
                        )
                    };
                    self.errors.push(
                        GqlError::new(message)
                            .at(line, column)
                            .path(arg_path)
                            .code("argumentLiteralsIncompatible")
                            .ext("typeName", Out::str("Field"))
                            .ext("argumentName", Out::str(name.clone())),
                    );
                    ok = false;
                }
                Err(LiteralError::Reported) => ok = false,
            }
            let _ = &arg.name;
        }
        let missing: Vec<&str> = def
            .args
            .iter()
            .filter(|a| non_null(&a.ty) && a.default.is_none() && !args.contains_key(&a.name))
            .filter(|a| !field.arguments.iter().any(|(n, _)| n == &a.name))
            .map(|a| a.name.as_str())
            .collect();
        if !missing.is_empty() {
            self.errors.push(
                GqlError::new(format!("Field '{}' is missing required arguments: {}", field.name, missing.join(", ")))
                    .at(line, column)
                    .path(path.to_vec())
                    .code("missingRequiredArguments")
                    .ext("className", Out::str("Field"))
                    .ext("name", Out::str(field.name.clone()))
                    .ext("arguments", Out::str(missing.join(", "))),
            );
            ok = false;
        }
        for arg in &def.args {
            if !args.contains_key(&arg.name) {
                if let Some(default) = &arg.default {
                    args.insert(arg.name.clone(), default.clone());
                }
            }
        }
        ok.then_some(args)
    }

    /// A literal (possibly holding variables) as JSON of type `ty`; `Ok(None)` is "not given"
    /// (an unset variable). Variable misuse is reported here, against the location's type.
    fn coerce_literal(&mut self, value: &QValue<'a>, ty: &Type) -> Result<Option<Value>, LiteralError> {
        if let q::Value::Variable(name) = value {
            return self.variable(name, ty);
        }
        match ty {
            Type::NonNullType(inner) => match value {
                q::Value::Null => Err(LiteralError::Invalid("null".into(), ty.to_string())),
                _ => match self.coerce_literal(value, inner)? {
                    Some(Value::Null) | None => Err(LiteralError::Invalid(value.to_string(), ty.to_string())),
                    Some(v) => Ok(Some(v)),
                },
            },
            Type::ListType(inner) => match value {
                q::Value::Null => Ok(Some(Value::Null)),
                q::Value::List(items) => {
                    let mut out = Vec::new();
                    for item in items {
                        out.push(self.coerce_literal(item, inner)?.unwrap_or(Value::Null));
                    }
                    Ok(Some(Value::Array(out)))
                }
                single => Ok(Some(Value::Array(vec![self.coerce_literal(single, inner)?.unwrap_or(Value::Null)]))),
            },
            Type::NamedType(name) => {
                if matches!(value, q::Value::Null) {
                    return Ok(Some(Value::Null));
                }
                let def = self.schema.of(name);
                let invalid = || LiteralError::Invalid(value.to_string(), name.clone());
                match def.kind {
                    Kind::Scalar => scalar_literal(name, value).map(Some).ok_or_else(invalid),
                    Kind::Enum => match value {
                        q::Value::Enum(v) if def.values.contains(v) => Ok(Some(Value::from(v.clone()))),
                        _ => Err(invalid()),
                    },
                    Kind::InputObject => {
                        let q::Value::Object(map) = value else { return Err(invalid()) };
                        let mut out = Map::new();
                        for (key, item) in map {
                            let Some(input) = def.inputs.iter().find(|i| &i.name == key) else {
                                self.errors.push(
                                    GqlError::new(format!("InputObject '{name}' doesn't accept argument '{key}'"))
                                        .code("argumentNotAccepted")
                                        .ext("name", Out::str(name.clone()))
                                        .ext("typeName", Out::str("InputObject"))
                                        .ext("argumentName", Out::str(key.clone())),
                                );
                                return Err(LiteralError::Reported);
                            };
                            match self.coerce_literal(item, &input.ty) {
                                Ok(Some(v)) => {
                                    out.insert(key.clone(), v);
                                }
                                Ok(None) => {}
                                Err(LiteralError::Invalid(shown, expected)) => {
                                    self.errors.push(
                                        GqlError::new(format!(
                                            "Argument '{key}' on InputObject '{name}' has an invalid value ({shown}). Expected type '{expected}'."
                                        ))
                                        .code("argumentLiteralsIncompatible")
                                        .ext("typeName", Out::str("InputObject"))
                                        .ext("argumentName", Out::str(key.clone())),
                                    );
                                    return Err(LiteralError::Reported);
                                }
                                Err(LiteralError::Reported) => return Err(LiteralError::Reported),
                            }
                        }
                        complete_input(def.inputs.as_slice(), &mut out).map_err(|_| invalid())?;
                        Ok(Some(Value::Object(out)))
                    }
                    _ => Err(invalid()),
                }
            }
        }
    }

    /// A variable used where a `location` value goes: declared, of a compatible type.
    fn variable(&mut self, name: &str, location: &Type) -> Result<Option<Value>, LiteralError> {
        self.used.insert(name.to_owned());
        let Some((declared, value, has_default)) = self.variables.get(name).cloned() else {
            let message = format!("Variable ${name} is used by {} but not declared", self.anonymous_label());
            self.errors.push(
                GqlError::new(message)
                    .path(vec![Step::Key(self.operation_label.clone())])
                    .code("variableNotDefined")
                    .ext("variableName", Out::str(name)),
            );
            return Err(LiteralError::Reported);
        };
        match compatible(&declared, location, has_default) {
            Compatibility::Yes => Ok(value),
            mismatch => {
                let word = if mismatch == Compatibility::Nullability { "Nullability" } else { "Type" };
                self.errors.push(
                    GqlError::new(format!(
                        "{word} mismatch on variable ${name} and argument ({declared} / {location})"
                    ))
                    .path(vec![Step::Key(self.operation_label.clone())])
                    .code("variableMismatch")
                    .ext("variableName", Out::str(name))
                    .ext("typeName", Out::str(declared.to_string())),
                );
                Err(LiteralError::Reported)
            }
        }
    }
}

#[derive(Debug)]
enum LiteralError {
    /// The value as written, and the type it should have had.
    Invalid(String, String),
    /// Already in the planner's errors.
    Reported,
}

#[derive(Debug, PartialEq)]
enum Compatibility {
    Yes,
    Nullability,
    Type,
}

/// Whether a variable of type `var` may go where `location` is expected. `URL` and `String` are
/// taken as one: which of the two some Shopify inputs are is not known.
fn compatible(var: &Type, location: &Type, has_default: bool) -> Compatibility {
    match (var, location) {
        (Type::NonNullType(v), Type::NonNullType(l)) => compatible(v, l, has_default),
        (Type::NonNullType(v), l) => compatible(v, l, has_default),
        (v, Type::NonNullType(l)) => match compatible(v, l, has_default) {
            Compatibility::Yes if has_default => Compatibility::Yes,
            Compatibility::Yes => Compatibility::Nullability,
            other => other,
        },
        (Type::ListType(v), Type::ListType(l)) => compatible(v, l, false),
        (Type::NamedType(v), Type::NamedType(l)) => {
            let stringy = |n: &str| n == "String" || n == "URL";
            if v == l || (stringy(v) && stringy(l)) {
                Compatibility::Yes
            } else {
                Compatibility::Type
            }
        }
        _ => Compatibility::Type,
    }
}

fn scalar_selection(field: &str, returns: &str, line: usize, column: usize, path: &[Step]) -> GqlError {
    GqlError::new(format!(
        "Selections can't be made on scalars (field '{field}' returns {returns} but has selections [...])"
    ))
    .at(line, column)
    .path(path.to_vec())
    .code("selectionMismatch")
    .ext("nodeName", Out::str(format!("field '{field}'")))
}

/// `"abc"` given for an `ID`: Shopify says the global id is invalid rather than the type wrong.
fn invalid_gid(shown: &str, expected: &str) -> Option<String> {
    (expected.trim_end_matches('!') == "ID" && shown.starts_with('"')).then(|| shown.trim_matches('"').to_owned())
}

fn scalar_literal(name: &str, value: &QValue<'_>) -> Option<Value> {
    Some(match (name, value) {
        ("Int", q::Value::Int(n)) => {
            let n = n.as_i64()?;
            i32::try_from(n).ok()?;
            Value::from(n)
        }
        ("Float", q::Value::Int(n)) => Value::from(n.as_i64()? as f64),
        ("Float", q::Value::Float(f)) => Value::from(*f),
        ("Boolean", q::Value::Boolean(b)) => Value::from(*b),
        ("ID", q::Value::String(s)) if is_gid(s) => Value::from(s.clone()),
        ("ID", q::Value::Int(n)) => Value::from(n.as_i64()?.to_string()),
        ("ID", _) => return None,
        ("UnsignedInt64", q::Value::Int(n)) => Value::from(n.as_i64()?.to_string()),
        ("Int" | "Float" | "Boolean", _) => return None,
        (_, q::Value::String(s)) => Value::from(s.clone()),
        _ => return None,
    })
}

/// `gid://shopify/Type/123` (with optional parameters): the only ids Shopify's `ID` accepts.
pub fn is_gid(text: &str) -> bool {
    text.strip_prefix("gid://shopify/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(kind, id)| !kind.is_empty() && !id.is_empty())
}

/// One reason a variable's value does not fit its type.
#[derive(Debug, Clone)]
pub struct Problem {
    pub path: Vec<Value>,
    pub explanation: String,
}

fn variable_error(name: &str, ty: &Type, value: &Value, problem: Problem) -> GqlError {
    let problems = Out::List(vec![Out::obj(vec![
        ("path", Out::List(problem.path.iter().map(Out::from_value).collect())),
        ("explanation", Out::str(problem.explanation)),
    ])]);
    GqlError::new(format!("Variable ${name} of type {ty} was provided invalid value"))
        .ext("value", Out::from_value(value))
        .ext("problems", problems)
}

/// A JSON variable value coerced to `ty`.
pub fn coerce_json(schema: &Schema, value: &Value, ty: &Type, path: &mut Vec<Value>) -> Result<Value, Problem> {
    let problem = |path: &Vec<Value>, explanation: String| Problem { path: path.clone(), explanation };
    match ty {
        Type::NonNullType(inner) => {
            if value.is_null() {
                return Err(problem(path, "Expected value to not be null".into()));
            }
            coerce_json(schema, value, inner, path)
        }
        Type::ListType(inner) => match value {
            Value::Null => Ok(Value::Null),
            Value::Array(items) => {
                let mut out = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    path.push(Value::from(index));
                    out.push(coerce_json(schema, item, inner, path)?);
                    path.pop();
                }
                Ok(Value::Array(out))
            }
            single => Ok(Value::Array(vec![coerce_json(schema, single, inner, path)?])),
        },
        Type::NamedType(name) => {
            if value.is_null() {
                return Ok(Value::Null);
            }
            let def = schema.of(name);
            let cannot = || problem(path, format!("Could not coerce value {value} to {name}"));
            match def.kind {
                Kind::Scalar => match (name.as_str(), value) {
                    ("Int", Value::Number(n)) if n.as_i64().is_some_and(|n| i32::try_from(n).is_ok()) => {
                        Ok(value.clone())
                    }
                    ("Float", Value::Number(_)) => Ok(value.clone()),
                    ("Boolean", Value::Bool(_)) => Ok(value.clone()),
                    ("ID", Value::String(s)) if is_gid(s) => Ok(value.clone()),
                    ("ID", Value::String(s)) => Err(problem(path, format!("Invalid global id '{s}'"))),
                    ("ID", Value::Number(n)) => Ok(Value::from(n.to_string())),
                    ("Int" | "Float" | "Boolean" | "ID", _) => Err(cannot()),
                    (_, Value::String(_)) => Ok(value.clone()),
                    ("UnsignedInt64", Value::Number(n)) => Ok(Value::from(n.to_string())),
                    _ => Err(cannot()),
                },
                Kind::Enum => match value.as_str() {
                    Some(v) if def.values.iter().any(|x| x == v) => Ok(value.clone()),
                    _ => Err(problem(path, format!("Expected {value} to be one of: {}", def.values.join(", ")))),
                },
                Kind::InputObject => {
                    let Some(map) = value.as_object() else { return Err(cannot()) };
                    let mut out = Map::new();
                    for (key, item) in map {
                        path.push(Value::from(key.clone()));
                        let Some(input) = def.inputs.iter().find(|i| &i.name == key) else {
                            return Err(problem(path, "Field is not defined on ".to_owned() + name));
                        };
                        out.insert(key.clone(), coerce_json(schema, item, &input.ty, path)?);
                        path.pop();
                    }
                    complete_input(&def.inputs, &mut out).map_err(|field| {
                        let mut at = path.clone();
                        at.push(Value::from(field));
                        problem(&at, "Expected value to not be null".into())
                    })?;
                    Ok(Value::Object(out))
                }
                _ => Err(cannot()),
            }
        }
    }
}

/// Defaults for an input object's missing fields; `Err` names a required one that is missing.
fn complete_input(inputs: &[InputDef], out: &mut Map<String, Value>) -> Result<(), String> {
    for input in inputs {
        if out.contains_key(&input.name) {
            continue;
        }
        match &input.default {
            Some(default) => {
                out.insert(input.name.clone(), default.clone());
            }
            None if non_null(&input.ty) => return Err(input.name.clone()),
            None => {}
        }
    }
    Ok(())
}

fn dedupe(errors: &mut Vec<GqlError>) {
    let mut seen = Vec::new();
    errors.retain(|e| {
        let key = (e.message.clone(), e.locations.clone());
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
}

/// A query-document type as the schema's type.
trait IntoStaticType {
    fn into_static_type(self) -> Type;
}

impl IntoStaticType for q::Type<'_, String> {
    fn into_static_type(self) -> Type {
        match self {
            q::Type::NamedType(n) => Type::NamedType(n),
            q::Type::ListType(inner) => Type::ListType(Box::new(inner.into_static_type())),
            q::Type::NonNullType(inner) => Type::NonNullType(Box::new(inner.into_static_type())),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn errors(text: &str, variables: Value) -> Vec<Value> {
        plan(text, None, &variables, "2026-07").unwrap_err().iter().map(|e| e.out().to_value()).collect()
    }

    #[test]
    fn fragments_are_inlined_with_their_conditions() {
        let plan = plan(
            "query Q($id: ID!, $n: Int = 5) { node(id: $id) { id ...F ... on Order { name } } products(first: $n) { nodes { id } } }
             fragment F on Product { title handle @skip(if: true) }",
            None,
            &json!({"id": "gid://shopify/Product/1"}),
            "2026-07",
        )
        .unwrap();
        let node = &plan.fields[0];
        assert_eq!(node.args["id"], "gid://shopify/Product/1");
        let names: Vec<(&str, &[String])> =
            node.children.iter().map(|f| (f.name.as_str(), f.conds.as_slice())).collect();
        assert_eq!(
            names,
            [("id", &[][..]), ("title", &["Product".to_owned()][..]), ("name", &["Order".to_owned()][..])]
        );
        assert_eq!(plan.fields[1].args["first"], 5);
        assert_eq!(plan.fields[1].args["sortKey"], "ID");
    }

    #[test]
    fn unknown_fields_and_bad_arguments_are_worded_as_shopify_words_them() {
        let found = errors("query Q { shop { id nope } orders(first: \"x\") { nodes { id } } }", json!({}));
        assert_eq!(found[0]["message"], "Field 'nope' doesn't exist on type 'Shop'");
        assert_eq!(found[0]["path"], json!(["query Q", "shop", "nope"]));
        assert_eq!(found[0]["extensions"]["code"], "undefinedField");
        assert_eq!(found[0]["locations"], json!([{"line": 1, "column": 21}]));
        assert_eq!(
            found[1]["message"],
            "Argument 'first' on Field 'orders' has an invalid value (\"x\"). Expected type 'Int'."
        );
        let missing = errors("{ product { id } }", json!({}));
        assert_eq!(missing[0]["message"], "Field 'product' is missing required arguments: id");
        let typed = errors("query($id: String!) { product(id: $id) { id } }", json!({"id": "gid://shopify/Product/1"}));
        assert_eq!(typed[0]["message"], "Type mismatch on variable $id and argument (String! / ID!)");
        let null = errors("query($id: ID!) { product(id: $id) { id } }", json!({}));
        assert_eq!(null[0]["message"], "Variable $id of type ID! was provided invalid value");
        let gid = errors("{ product(id: \"123\") { id } }", json!({}));
        assert_eq!(gid[0]["message"], "Invalid global id '123'");
        let old = plan("{ bulkOperation(id: \"gid://shopify/BulkOperation/1\") { id } }", None, &json!({}), "2025-10");
        assert!(old.is_err());
        let parse = errors("{ shop { id }", json!({}));
        assert_eq!(parse[0]["message"], "Unexpected end of document");
    }
}
