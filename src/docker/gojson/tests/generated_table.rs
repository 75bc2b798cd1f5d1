use super::*;

// The generated table.

#[test]
fn table_names_are_ascii_and_unambiguous() {
    let mut stack: Vec<&'static Struct> = table_roots();
    let mut seen = std::collections::HashSet::new();
    while let Some(s) = stack.pop() {
        if !seen.insert(s.name) {
            continue;
        }
        let mut folded = std::collections::HashSet::new();
        for f in s.fields {
            assert!(f.name.is_ascii(), "{}.{}", s.name, f.name);
            assert!(
                folded.insert(fold(f.name)),
                "{}.{} folds onto another field",
                s.name,
                f.name
            );
            push_structs(f.shape, &mut stack);
        }
    }
    assert!(seen.contains("HostConfig") && seen.contains("Mount"));
}

#[test]
fn no_config_field_is_mistaken_for_a_top_level_hostconfig_field() {
    for f in table::CONTAINER_CREATE_REQUEST.fields {
        assert!(
            table::HOST_CONFIG.field(f.name).is_none(),
            "{} would be refused at the top level",
            f.name
        );
    }
}

fn table_roots() -> Vec<&'static Struct> {
    let mut out = Vec::new();
    for op in Operation::ALL {
        if let Some(shape) = body_shape(*op) {
            push_structs(shape, &mut out);
        }
    }
    out
}

fn push_structs(shape: Shape, out: &mut Vec<&'static Struct>) {
    match shape {
        Shape::Struct(s) => out.push(s),
        Shape::Array(inner) | Shape::Map(inner) => push_structs(*inner, out),
        Shape::Any | Shape::Scalar => {}
    }
}
