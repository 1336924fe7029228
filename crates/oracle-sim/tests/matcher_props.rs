//! Properties of statement matching and tnsnames.ora parsing.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use oracle_sim::matcher::{match_pattern, normalise};
use oracle_sim::sqlplus::tns_aliases;
use proptest::prelude::*;

proptest! {
    #[test]
    fn normalise_is_idempotent(s in "[ a-zA-Z0-9'\\t\\n;,()]{0,80}") {
        let once = normalise(&s);
        prop_assert_eq!(normalise(&once), once);
    }

    #[test]
    fn a_text_matches_itself_in_any_case_and_spacing(words in prop::collection::vec("[a-z0-9'$#_=,()]{1,8}", 1..12)) {
        let text = words.join(" ");
        let respaced = words.join(" \n\t ").to_ascii_uppercase();
        prop_assert_eq!(match_pattern(&text, &respaced), Some(vec![]));
    }

    #[test]
    fn a_capture_gives_back_the_value(value in "[A-Za-z0-9/_.]{1,30}") {
        let text = format!("l varchar2(100):= '{value}/'; begin null; end;");
        prop_assert_eq!(
            match_pattern("l varchar2(100):= '{}/'; begin null; end;", &text),
            Some(vec![value])
        );
    }

    #[test]
    fn a_longer_text_does_not_match(extra in "[a-z]{1,8}") {
        let text = format!("select user from dual {extra}");
        prop_assert_eq!(match_pattern("select user from dual", &text), None);
    }
}

#[test]
fn tnsnames_aliases() {
    let text = "# comment = x\norcl =\n  (DESCRIPTION =\n    (ADDRESS = (PROTOCOL = TCP)(HOST = h)(PORT = 1521))\n    (CONNECT_DATA = (SERVICE_NAME = orcl)))\n\nrcat, rcat.world=(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=h)(PORT=1521))(CONNECT_DATA=(SID=rcat)))\n";
    assert_eq!(tns_aliases(text), ["orcl", "rcat", "rcat.world"]);
}
