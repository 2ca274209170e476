//! Marking generations as favourites (which the retention policy can be told to keep).

use sqlx::SqlitePool;

use crate::error::Result;
use crate::history::{check_ids, id_list};

/// Sets or clears the favourite mark on every listed generation; returns how many changed.
pub async fn set_favourite(pool: &SqlitePool, ids: &[i32], favourite: bool) -> Result<i32> {
    check_ids("ids", ids)?;
    let changed = sqlx::query!(
        "UPDATE generations SET favourite = ?1 WHERE id IN (SELECT value FROM json_each(?2)) AND favourite <> ?1",
        favourite,
        id_list(ids)
    )
    .execute(pool)
    .await?;
    Ok(changed.rows_affected() as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::fixtures;

    #[tokio::test]
    async fn favourite_and_unfavourite_in_bulk() {
        let (_dir, pool) = fixtures::open().await;
        let a = fixtures::generation(&pool, "m", "a", 1).await;
        let b = fixtures::generation(&pool, "m", "b", 2).await;
        let c = fixtures::generation(&pool, "m", "c", 3).await;
        assert_eq!(set_favourite(&pool, &[a, b, 777], true).await.unwrap(), 2);
        assert_eq!(set_favourite(&pool, &[a], true).await.unwrap(), 0, "already a favourite");
        let favs: Vec<i32> =
            sqlx::query_scalar!(r#"SELECT id AS "id: i32" FROM generations WHERE favourite = 1 ORDER BY id"#)
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(favs, vec![a, b]);
        assert_eq!(set_favourite(&pool, &[a, c], false).await.unwrap(), 1);
        let favs: Vec<i32> = sqlx::query_scalar!(r#"SELECT id AS "id: i32" FROM generations WHERE favourite = 1"#)
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(favs, vec![b]);
    }
}
