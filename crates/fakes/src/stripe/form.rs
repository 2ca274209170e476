//! Stripe's form encoding of nested parameters (docs.stripe.com/api "form-encoded request bodies"):
//! `line_items[0][price_data][currency]=usd`, `metadata[credits]=100`, read into a JSON tree whose
//! integer-keyed objects become arrays (except under `metadata`, whose keys are the caller's).

use serde_json::{Map, Value};

/// The body as a tree of strings; Err names a malformed key.
pub(super) fn parse(body: &[u8]) -> Result<Value, String> {
    let mut root = Map::new();
    for (key, value) in url::form_urlencoded::parse(body) {
        let path = split(&key).ok_or_else(|| format!("Invalid parameter name: {key}"))?;
        insert(&mut root, &path, Value::String(value.into_owned()), &key)?;
    }
    Ok(arrays(Value::Object(root), false))
}

/// `a[b][0]` → `["a", "b", "0"]`; `expand[]` → `["expand", ""]`.
fn split(key: &str) -> Option<Vec<String>> {
    let (head, mut rest) = key.split_once('[').map_or((key, ""), |(h, r)| (h, r));
    let mut path = vec![head.to_string()];
    if !rest.is_empty() {
        rest = rest.strip_suffix(']')?;
        path.extend(rest.split("][").map(str::to_string));
    }
    (!head.is_empty()).then_some(path)
}

fn insert(node: &mut Map<String, Value>, path: &[String], value: Value, key: &str) -> Result<(), String> {
    let conflict = || format!("Invalid parameter: {key} is given twice or as both a value and a hash");
    let (first, rest) = path.split_first().expect("non-empty path");
    if rest.is_empty() {
        // `expand[]=a&expand[]=b` appends; a repeated plain key is a conflict.
        if first.is_empty() {
            let n = node.len().to_string();
            node.insert(n, value);
            return Ok(());
        }
        return match node.insert(first.clone(), value) {
            None => Ok(()),
            Some(_) => Err(conflict()),
        };
    }
    let child = node.entry(first.clone()).or_insert_with(|| Value::Object(Map::new()));
    match child {
        Value::Object(map) => insert(map, rest, value, key),
        _ => Err(conflict()),
    }
}

fn arrays(value: Value, in_metadata: bool) -> Value {
    let Value::Object(map) = value else { return value };
    let numeric = !in_metadata && !map.is_empty() && map.keys().all(|k| k.parse::<usize>().is_ok());
    if numeric {
        let mut items: Vec<(usize, Value)> =
            map.into_iter().map(|(k, v)| (k.parse().unwrap_or(0), arrays(v, false))).collect();
        items.sort_by_key(|(i, _)| *i);
        return Value::Array(items.into_iter().map(|(_, v)| v).collect());
    }
    Value::Object(
        map.into_iter()
            .map(|(k, v)| {
                let meta = k == "metadata";
                (k, if meta { v } else { arrays(v, false) })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::parse;
    use serde_json::json;

    #[test]
    fn nested_keys_become_a_tree_with_arrays() {
        let body = "mode=payment&line_items[0][price_data][currency]=usd&line_items[0][quantity]=1\
                    &line_items[1][price]=price_x&metadata[0]=zero&metadata[credits]=100";
        let v = parse(body.as_bytes()).unwrap();
        assert_eq!(v["line_items"][0]["price_data"]["currency"], "usd");
        assert_eq!(v["line_items"][1]["price"], "price_x");
        assert_eq!(v["metadata"], json!({"0": "zero", "credits": "100"}));
        assert!(parse(b"mode=a&mode[x]=b").is_err());
        assert!(parse(b"mode=a&mode=b").is_err());
    }
}
