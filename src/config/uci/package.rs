//! The UCI data model after parsing: sections with their options and lists, built with libuci's
//! semantics (openwrt/uci file.c and list.c: the last option wins, an empty value is a no-op, a
//! repeated named section merges into the first). The lexer feeds commands in; the mapping reads
//! sections out.

/// A 1-based line and column (in characters) inside the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// One value with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub value: String,
    pub pos: Pos,
}

/// An option or a list; a plain option holds exactly one item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opt {
    pub name: String,
    /// Where the option was last set (for messages).
    pub pos: Pos,
    pub is_list: bool,
    pub items: Vec<Item>,
}

impl Opt {
    /// The value of a plain option; for a list, its last element.
    pub fn value(&self) -> &str {
        self.items.last().map_or("", |i| i.value.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub ty: String,
    /// `None` for an anonymous section.
    pub name: Option<String>,
    /// The name libuci would give it: the real name, or `cfgXXYYYY` when anonymous.
    pub id: String,
    pub pos: Pos,
    pub options: Vec<Opt>,
}

impl Section {
    pub fn get(&self, name: &str) -> Option<&Opt> {
        self.options.iter().find(|o| o.name == name)
    }
}

/// A parsed UCI file.
#[derive(Clone, Debug, Default)]
pub struct Package {
    pub sections: Vec<Section>,
    /// The section the next option belongs to.
    current: Option<usize>,
    /// Sections allocated so far; libuci numbers anonymous sections with it.
    allocated: u32,
    /// Named sections by name, so a file with many sections stays linear.
    by_name: crate::hash::Map<String, usize>,
}

/// libuci's anonymous section name: `cfg` + ordinal (`%02x`) + djb hash of the type (`%04x`).
pub fn anonymous_name(ordinal: u32, ty: &str) -> String {
    let mut h: u32 = 5381;
    for b in ty.bytes() {
        h = h.wrapping_mul(33).wrapping_add(u32::from(b));
    }
    h &= 0x7fff_ffff;
    format!("cfg{:02x}{:04x}", ordinal, h % 65536)
}

impl Package {
    /// `config TYPE [NAME]`: a repeated name merges into the first section of that name.
    pub fn add_section(&mut self, ty: &str, name: Option<&str>, pos: Pos) -> Result<(), String> {
        if let Some(name) = name {
            if let Some((i, first)) = self
                .sections
                .iter()
                .enumerate()
                .find(|(_, s)| s.name.as_deref() == Some(name))
            {
                if first.ty != ty {
                    return Err(format!(
                        "section '{name}' was declared with type '{}' on line {}; it cannot be '{ty}' too",
                        first.ty, first.pos.line
                    ));
                }
                self.current = Some(i);
                return Ok(());
            }
        }
        self.allocated = self.allocated.saturating_add(1);
        let id = match name {
            Some(n) => {
                self.by_name.insert(n.to_string(), self.sections.len());
                n.to_string()
            }
            None => anonymous_name(self.allocated, ty),
        };
        self.sections.push(Section {
            ty: ty.into(),
            name: name.map(String::from),
            id,
            pos,
            options: Vec::new(),
        });
        self.current = Some(self.sections.len() - 1);
        Ok(())
    }

    fn section_mut(&mut self) -> Result<&mut Section, String> {
        match self.current {
            Some(i) => self
                .sections
                .get_mut(i)
                .ok_or_else(|| "internal: lost section".into()),
            None => Err("option outside of a section: a 'config' line must come first".into()),
        }
    }

    /// `option NAME VALUE`: last one wins, an empty value changes nothing, a list is replaced.
    pub fn set_option(&mut self, name: &str, value: Item, pos: Pos) -> Result<(), String> {
        let sec = self.section_mut()?;
        if value.value.is_empty() {
            return Ok(());
        }
        match sec.options.iter_mut().find(|o| o.name == name) {
            Some(o) => {
                o.is_list = false;
                o.items = vec![value];
                o.pos = pos;
            }
            None => sec.options.push(Opt {
                name: name.into(),
                pos,
                is_list: false,
                items: vec![value],
            }),
        }
        Ok(())
    }

    /// `list NAME VALUE`: appends (empty values and duplicates too); an option becomes a list.
    pub fn add_list(&mut self, name: &str, value: Item, pos: Pos) -> Result<(), String> {
        let sec = self.section_mut()?;
        match sec.options.iter_mut().find(|o| o.name == name) {
            Some(o) => {
                o.is_list = true;
                o.items.push(value);
                o.pos = pos;
            }
            None => sec.options.push(Opt {
                name: name.into(),
                pos,
                is_list: true,
                items: vec![value],
            }),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(v: &str) -> Item {
        Item {
            value: v.into(),
            pos: Pos::default(),
        }
    }

    #[test]
    fn anonymous_names_follow_libuci() {
        assert_eq!(anonymous_name(1, "a"), "cfg01b606");
        assert_eq!(anonymous_name(0x1f, "a"), "cfg1fb606");
    }

    #[test]
    fn option_semantics() {
        let mut p = Package::default();
        let at = Pos::default();
        assert!(p.set_option("x", item("1"), at).is_err());
        p.add_section("t", None, at).unwrap();
        p.set_option("x", item("1"), at).unwrap();
        p.set_option("x", item(""), at).unwrap();
        assert_eq!(p.sections[0].get("x").unwrap().value(), "1");
        p.add_list("x", item("2"), at).unwrap();
        p.add_list("x", item(""), at).unwrap();
        let o = p.sections[0].get("x").unwrap();
        assert!(o.is_list);
        let v: Vec<_> = o.items.iter().map(|i| i.value.as_str()).collect();
        assert_eq!(v, ["1", "2", ""]);
        p.set_option("x", item("3"), at).unwrap();
        let o = p.sections[0].get("x").unwrap();
        assert!(!o.is_list);
        assert_eq!(o.items.len(), 1);
    }

    #[test]
    fn named_sections_merge_and_keep_their_place() {
        let mut p = Package::default();
        let at = Pos::default();
        p.add_section("t", Some("a"), at).unwrap();
        p.set_option("x", item("1"), at).unwrap();
        p.add_section("t", None, at).unwrap();
        p.add_section("t", Some("a"), at).unwrap();
        p.set_option("y", item("2"), at).unwrap();
        assert_eq!(p.sections.len(), 2);
        assert_eq!(p.sections[0].options.len(), 2);
        assert_eq!(p.sections[1].id, anonymous_name(2, "t"));
        assert!(p.add_section("u", Some("a"), at).is_err());
    }
}
